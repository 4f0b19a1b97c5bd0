//! Where a webhook may go: a tenant must not make the server call its own network.
//!
//! An endpoint's URL is checked when it is registered ([`check_url`]) and again at every
//! delivery, where the name is resolved by [`GuardedResolver`]: a name that resolved to a
//! public address at registration may later resolve to `127.0.0.1` (DNS rebinding), so
//! the addresses the connection uses are the ones checked. Redirects are not followed
//! (a public endpoint could redirect to a private one).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Why a URL is refused as a webhook target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("not a URL: {0}")]
    Malformed(String),
    #[error("the scheme must be https or http, not `{0}`")]
    Scheme(String),
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is a loopback, private, link-local or reserved address")]
    Private(IpAddr),
}

/// The URL if it may be a webhook target; a host name is checked when it is resolved.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw).map_err(|e| TargetError::Malformed(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(TargetError::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    match url.host() {
        None => Err(TargetError::NoHost),
        Some(url::Host::Ipv4(ip)) => allowed(IpAddr::V4(ip), allow_private).map(|()| url.clone()),
        Some(url::Host::Ipv6(ip)) => allowed(IpAddr::V6(ip), allow_private).map(|()| url.clone()),
        Some(url::Host::Domain(name)) if !allow_private && is_local_name(name) => {
            Err(TargetError::Private(IpAddr::V4(Ipv4Addr::LOCALHOST)))
        }
        Some(url::Host::Domain(_)) => Ok(url.clone()),
    }
}

fn allowed(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(TargetError::Private(ip))
    }
}

/// Names that always mean this machine, refused before any lookup.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Whether `ip` is reachable on the public internet: not loopback, private (RFC 1918,
/// unique local), link-local (cloud metadata lives at 169.254.169.254), shared (CGNAT),
/// unspecified, broadcast, multicast, documentation or benchmarking space. An IPv6
/// address that embeds an IPv4 one is judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10, shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7, unique local.
        || (first & 0xfe00) == 0xfc00
        // fe80::/10, link-local.
        || (first & 0xffc0) == 0xfe80
        // 2001:db8::/32, documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // 64:ff9b::/96 and friends translate to IPv4 addresses we cannot see.
        || first == 0x0064)
}

/// Resolves webhook hosts and keeps only the addresses a delivery may use.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if kept.is_empty() {
                let refused = found.first().map(|a| TargetError::Private(a.ip()));
                let message = refused.map_or_else(
                    || format!("{host} has no address"),
                    |e| format!("{host}: {e}"),
                );
                return Err(message.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for raw in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
        ] {
            assert!(
                matches!(check_url(raw, false), Err(TargetError::Private(_))),
                "{raw} accepted"
            );
            assert!(check_url(raw, true).is_ok(), "{raw} refused though allowed");
        }
    }

    #[test]
    fn public_targets_pass_and_malformed_ones_say_why() {
        for raw in [
            "https://hooks.example.com/callsheet",
            "http://93.184.216.34:8080/x",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_url(raw, false).is_ok(), "{raw} refused");
        }
        assert_eq!(
            check_url("ftp://example.com/", false),
            Err(TargetError::Scheme("ftp".into()))
        );
        assert_eq!(
            check_url("https://user:pw@example.com/", false),
            Err(TargetError::Credentials)
        );
        assert!(matches!(
            check_url("not a url", false),
            Err(TargetError::Malformed(_))
        ));
    }

    #[tokio::test]
    async fn the_resolver_drops_private_answers() {
        use reqwest::dns::Resolve;
        let name = || "localhost".parse::<reqwest::dns::Name>().expect("a name");
        let refused = GuardedResolver {
            allow_private: false,
        }
        .resolve(name())
        .await;
        assert!(refused.is_err());
        let allowed = GuardedResolver {
            allow_private: true,
        }
        .resolve(name())
        .await
        .map(|a| a.count());
        assert!(allowed.is_ok_and(|n| n > 0));
    }
}
