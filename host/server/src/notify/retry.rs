//! When a failed message is tried again: exponential backoff with jitter, then dead.

use std::time::Duration;

use rand::Rng;

/// How failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failure, doubled after each one.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Failures after which the message is dead.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The delay before the next attempt after `failures` consecutive failures, or `None`
    /// when that was the last allowed attempt.
    ///
    /// "Equal jitter": half the exponential delay, plus a random part of the other half.
    /// Every receiver that failed at once does not come back at once (the random half),
    /// and the delay still grows with each failure (the fixed half).
    pub fn after_failure(&self, failures: u32, rng: &mut impl Rng) -> Option<Duration> {
        if failures >= self.max_attempts {
            return None;
        }
        let doublings = failures.saturating_sub(1).min(31);
        let exponential = self
            .base
            .checked_mul(1u32 << doublings)
            .map_or(self.max, |d| d.min(self.max));
        let half = exponential / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = Duration::from_millis(if spread == 0 {
            0
        } else {
            rng.gen_range(0..=spread)
        });
        Some(half + jitter)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_secs(4),
        max: Duration::from_secs(60),
        max_attempts: 6,
    };

    #[test]
    fn delays_grow_between_half_and_all_of_the_doubling_then_stop() {
        let mut rng = StdRng::seed_from_u64(7);
        for (failures, full) in [(1, 4), (2, 8), (3, 16), (4, 32), (5, 60)] {
            for _ in 0..200 {
                let d = POLICY.after_failure(failures, &mut rng).expect("retried");
                let full = Duration::from_secs(full);
                assert!(
                    d >= full / 2 && d <= full,
                    "{failures}: {d:?} outside {full:?}/2..={full:?}"
                );
            }
        }
        assert_eq!(POLICY.after_failure(6, &mut rng), None);
        assert_eq!(POLICY.after_failure(40, &mut rng), None);
    }

    #[test]
    fn the_jitter_spreads_receivers_that_failed_together() {
        let mut rng = StdRng::seed_from_u64(11);
        let delays: std::collections::BTreeSet<_> =
            (0..50).map(|_| POLICY.after_failure(3, &mut rng)).collect();
        assert!(delays.len() > 25, "{} distinct delays", delays.len());
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            ..POLICY
        };
        let d = policy
            .after_failure(u32::MAX - 1, &mut StdRng::seed_from_u64(1))
            .expect("retried");
        assert!(d <= POLICY.max);
    }
}
