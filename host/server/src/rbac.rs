//! Role-based access control: one matrix, in one place.
//!
//! Handlers never test roles themselves; they take an `Allowed<P>` extractor
//! (`http::extract`) whose permission `P` names a (resource, action) pair, and the
//! extractor looks the pair up in [`MATRIX`]. `docs/permissions.md` is generated from the
//! matrix ([`markdown_table`]) and a test fails when the two drift apart.

use crate::domain::Role;

/// What is being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// The caller's own tenant: name, time zone.
    Tenant,
    /// User accounts of the tenant.
    Users,
}

/// What is being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Tenant => "tenant",
            Resource::Users => "users",
        }
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
        }
    }
}

use Role::{Admin, Manager, Tech, Viewer};

/// Who may do what. A pair that is absent is allowed to nobody.
pub const MATRIX: &[(Resource, Action, &[Role])] = &[
    (
        Resource::Tenant,
        Action::Read,
        &[Admin, Manager, Tech, Viewer],
    ),
    (Resource::Tenant, Action::Update, &[Admin]),
    // Managers see the accounts (to link technicians and approvers) but only admins
    // create accounts or change roles: granting rights stays with the admins.
    (Resource::Users, Action::Read, &[Admin, Manager]),
    (Resource::Users, Action::Create, &[Admin]),
    (Resource::Users, Action::Update, &[Admin]),
];

/// Whether `role` may perform `action` on `resource`.
pub fn allows(role: Role, resource: Resource, action: Action) -> bool {
    MATRIX
        .iter()
        .any(|(r, a, roles)| *r == resource && *a == action && roles.contains(&role))
}

/// A (resource, action) pair known at compile time, for the `Allowed<P>` extractor.
pub trait Permission: Send + Sync + 'static {
    const RESOURCE: Resource;
    const ACTION: Action;
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident => ($resource:ident, $action:ident);)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;
            impl Permission for $name {
                const RESOURCE: Resource = Resource::$resource;
                const ACTION: Action = Action::$action;
            }
        )*
    };
}

permissions! {
    ReadTenant => (Tenant, Read);
    UpdateTenant => (Tenant, Update);
    ReadUsers => (Users, Read);
    CreateUsers => (Users, Create);
    UpdateUsers => (Users, Update);
}

/// The matrix as a Markdown table, the body of `docs/permissions.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| resource | action | admin | manager | tech | viewer |\n");
    out.push_str("| --- | --- | :-: | :-: | :-: | :-: |\n");
    for (resource, action, _) in MATRIX {
        out.push_str(&format!("| {} | {} |", resource.as_str(), action.as_str()));
        for role in Role::ALL {
            out.push_str(if allows(role, *resource, *action) {
                " yes |"
            } else {
                " - |"
            });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_appears_once() {
        for (i, (r, a, _)) in MATRIX.iter().enumerate() {
            assert!(
                !MATRIX[i + 1..].iter().any(|(r2, a2, _)| r2 == r && a2 == a),
                "{}:{} is listed twice",
                r.as_str(),
                a.as_str()
            );
        }
    }

    #[test]
    fn admins_may_do_everything_listed_and_viewers_only_read() {
        for (resource, action, _) in MATRIX {
            assert!(allows(Admin, *resource, *action));
            if *action != Action::Read {
                assert!(
                    !allows(Viewer, *resource, *action),
                    "{}:{}",
                    resource.as_str(),
                    action.as_str()
                );
            }
        }
    }

    /// `CALLSHEET_UPDATE_DOCS=1` (or `cargo xtask permissions`) rewrites the document.
    #[test]
    fn the_permission_document_matches_the_matrix() {
        crate::docs_check::check_generated(
            "docs/permissions.md",
            &format!(
                "{}{}{}",
                crate::docs_check::PERMISSIONS_HEAD,
                markdown_table(),
                crate::docs_check::PERMISSIONS_TAIL
            ),
        );
    }
}
