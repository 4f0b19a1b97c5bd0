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
    /// Technician profiles: skills, contract, rates, preferences, relations.
    Technicians,
    /// Projects: tours, festivals, clients.
    Projects,
    /// Venues and their rooms.
    Venues,
    /// Missions and their needs.
    Missions,
    /// Declared availabilities. Technicians manage their own only (checked by the handler
    /// against the technician profile linked to their account).
    Availabilities,
    /// Assignments of technicians to needs, manual and automatic.
    Assignments,
    /// The day and week plans.
    Planning,
    /// The conflicts report.
    Conflicts,
    /// The tenant's rule plugins: upload, validation, activation, parameters.
    Plugins,
    /// The audit chain: automatic runs, overrides, verification and replay.
    Audit,
    /// Background jobs (large automatic runs).
    Jobs,
    /// Timesheets: technicians fill and submit their own (checked by the service against
    /// the profile linked to their account); planners manage and decide everyone's.
    Timesheets,
    /// Pay periods: closing one freezes its timesheets for payroll.
    PayPeriods,
    /// Payroll runs and their payslips. Technicians read their own payslips only
    /// (filtered by the handler against the profile linked to their account).
    Payroll,
    /// Exports of the whole crew (contacts and rates) and of the whole plan. Timesheet,
    /// payroll, calendar and call-sheet exports follow the permissions of what they export.
    Exports,
    /// Planning analytics: coverage, workload and its spread.
    Analytics,
    /// Calendar subscription URLs: a technician manages their own (checked by the handler).
    CalendarFeeds,
    /// The tenant's webhook endpoints: where its events are posted, with their secrets.
    Webhooks,
    /// The outbox's messages (webhook deliveries, mail, Telegram), their state and attempts.
    Notifications,
}

/// What is being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Confirm or decline an assignment (technicians: their own only).
    Respond,
    /// Assign in spite of hard rule violations, with a reason logged in the audit chain.
    Override,
    /// Start an automatic run (or a replay, which writes nothing).
    Run,
    /// Approve, reject or exclude a timesheet.
    Decide,
    /// Close a pay period.
    Close,
    /// Reopen a closed pay period.
    Reopen,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Tenant => "tenant",
            Resource::Users => "users",
            Resource::Technicians => "technicians",
            Resource::Projects => "projects",
            Resource::Venues => "venues",
            Resource::Missions => "missions",
            Resource::Availabilities => "availabilities",
            Resource::Assignments => "assignments",
            Resource::Planning => "planning",
            Resource::Conflicts => "conflicts",
            Resource::Plugins => "plugins",
            Resource::Audit => "audit",
            Resource::Jobs => "jobs",
            Resource::Timesheets => "timesheets",
            Resource::PayPeriods => "pay periods",
            Resource::Payroll => "payroll",
            Resource::Exports => "exports",
            Resource::Analytics => "analytics",
            Resource::CalendarFeeds => "calendar feeds",
            Resource::Webhooks => "webhooks",
            Resource::Notifications => "notifications",
        }
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Respond => "respond",
            Action::Override => "override",
            Action::Run => "run",
            Action::Decide => "decide",
            Action::Close => "close",
            Action::Reopen => "reopen",
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
    // Everyone reads the crew, the places and the missions: a technician needs to know
    // where and with whom they work. Planners (admins, managers) change them.
    (Resource::Technicians, Action::Read, ALL),
    (Resource::Technicians, Action::Create, PLANNERS),
    (Resource::Technicians, Action::Update, PLANNERS),
    (Resource::Technicians, Action::Delete, PLANNERS),
    (Resource::Projects, Action::Read, ALL),
    (Resource::Projects, Action::Create, PLANNERS),
    (Resource::Projects, Action::Update, PLANNERS),
    (Resource::Projects, Action::Delete, PLANNERS),
    (Resource::Venues, Action::Read, ALL),
    (Resource::Venues, Action::Create, PLANNERS),
    (Resource::Venues, Action::Update, PLANNERS),
    (Resource::Venues, Action::Delete, PLANNERS),
    (Resource::Missions, Action::Read, ALL),
    (Resource::Missions, Action::Create, PLANNERS),
    (Resource::Missions, Action::Update, PLANNERS),
    (Resource::Missions, Action::Delete, PLANNERS),
    // Technicians declare their own availabilities (and only see their own); planners
    // manage everyone's.
    (Resource::Availabilities, Action::Read, ALL),
    (
        Resource::Availabilities,
        Action::Create,
        &[Admin, Manager, Tech],
    ),
    (
        Resource::Availabilities,
        Action::Update,
        &[Admin, Manager, Tech],
    ),
    (
        Resource::Availabilities,
        Action::Delete,
        &[Admin, Manager, Tech],
    ),
    (Resource::Assignments, Action::Read, ALL),
    (Resource::Assignments, Action::Create, PLANNERS),
    (Resource::Assignments, Action::Update, PLANNERS),
    (Resource::Assignments, Action::Delete, PLANNERS),
    // A technician confirms or declines their own assignments.
    (
        Resource::Assignments,
        Action::Respond,
        &[Admin, Manager, Tech],
    ),
    // Breaking a hard rule is an admin's decision, with a reason, in the audit chain.
    (Resource::Assignments, Action::Override, &[Admin]),
    (Resource::Assignments, Action::Run, PLANNERS),
    (Resource::Planning, Action::Read, ALL),
    (Resource::Conflicts, Action::Read, &[Admin, Manager, Viewer]),
    // Plugins decide what is legal and how people are paid: admins only.
    (Resource::Plugins, Action::Read, &[Admin]),
    (Resource::Plugins, Action::Create, &[Admin]),
    (Resource::Plugins, Action::Update, &[Admin]),
    // Auditors have the viewer role; a replay recomputes a run and writes nothing, so it
    // counts as reading.
    (Resource::Audit, Action::Read, &[Admin, Manager, Viewer]),
    (Resource::Jobs, Action::Read, PLANNERS),
    (Resource::Jobs, Action::Update, PLANNERS),
    // A technician fills, submits and deletes their own draft timesheets (and sees only
    // theirs); planners do so for anyone and decide; viewers (auditors) read them all.
    (Resource::Timesheets, Action::Read, ALL),
    (
        Resource::Timesheets,
        Action::Create,
        &[Admin, Manager, Tech],
    ),
    (
        Resource::Timesheets,
        Action::Update,
        &[Admin, Manager, Tech],
    ),
    (
        Resource::Timesheets,
        Action::Delete,
        &[Admin, Manager, Tech],
    ),
    (Resource::Timesheets, Action::Decide, PLANNERS),
    (
        Resource::PayPeriods,
        Action::Read,
        &[Admin, Manager, Viewer],
    ),
    (Resource::PayPeriods, Action::Close, PLANNERS),
    // Reopening changes what was handed to payroll: an admin's decision, with a reason,
    // in the audit chain.
    (Resource::PayPeriods, Action::Reopen, &[Admin]),
    // Everyone reads payroll runs, a technician only their own payslip in them; planners
    // pay a closed period. Replaying a run is an audit read.
    (Resource::Payroll, Action::Read, ALL),
    (Resource::Payroll, Action::Run, PLANNERS),
    // The crew list with everyone's contacts and rates leaves the system only with a
    // planner or an auditor.
    (Resource::Exports, Action::Read, &[Admin, Manager, Viewer]),
    // Everyone's hours and costs side by side: planners and auditors.
    (Resource::Analytics, Action::Read, &[Admin, Manager, Viewer]),
    (
        Resource::CalendarFeeds,
        Action::Update,
        &[Admin, Manager, Tech],
    ),
    // Endpoints carry signing secrets and send the tenant's data out: admins only.
    (Resource::Webhooks, Action::Read, &[Admin]),
    (Resource::Webhooks, Action::Create, &[Admin]),
    (Resource::Webhooks, Action::Update, &[Admin]),
    (Resource::Webhooks, Action::Delete, &[Admin]),
    // Planners follow what was sent to the crew; an admin sends a dead message again.
    (Resource::Notifications, Action::Read, PLANNERS),
    (Resource::Notifications, Action::Update, &[Admin]),
];

const ALL: &[Role] = &[Admin, Manager, Tech, Viewer];
const PLANNERS: &[Role] = &[Admin, Manager];

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
    ReadTechnicians => (Technicians, Read);
    CreateTechnicians => (Technicians, Create);
    UpdateTechnicians => (Technicians, Update);
    DeleteTechnicians => (Technicians, Delete);
    ReadProjects => (Projects, Read);
    CreateProjects => (Projects, Create);
    UpdateProjects => (Projects, Update);
    DeleteProjects => (Projects, Delete);
    ReadVenues => (Venues, Read);
    CreateVenues => (Venues, Create);
    UpdateVenues => (Venues, Update);
    DeleteVenues => (Venues, Delete);
    ReadMissions => (Missions, Read);
    CreateMissions => (Missions, Create);
    UpdateMissions => (Missions, Update);
    DeleteMissions => (Missions, Delete);
    ReadAvailabilities => (Availabilities, Read);
    CreateAvailabilities => (Availabilities, Create);
    UpdateAvailabilities => (Availabilities, Update);
    DeleteAvailabilities => (Availabilities, Delete);
    ReadAssignments => (Assignments, Read);
    CreateAssignments => (Assignments, Create);
    UpdateAssignments => (Assignments, Update);
    DeleteAssignments => (Assignments, Delete);
    RespondAssignments => (Assignments, Respond);
    OverrideAssignments => (Assignments, Override);
    RunAssignments => (Assignments, Run);
    ReadPlanning => (Planning, Read);
    ReadConflicts => (Conflicts, Read);
    ReadPlugins => (Plugins, Read);
    CreatePlugins => (Plugins, Create);
    UpdatePlugins => (Plugins, Update);
    ReadAudit => (Audit, Read);
    ReadJobs => (Jobs, Read);
    UpdateJobs => (Jobs, Update);
    ReadTimesheets => (Timesheets, Read);
    CreateTimesheets => (Timesheets, Create);
    UpdateTimesheets => (Timesheets, Update);
    DeleteTimesheets => (Timesheets, Delete);
    DecideTimesheets => (Timesheets, Decide);
    ReadPayPeriods => (PayPeriods, Read);
    ClosePayPeriods => (PayPeriods, Close);
    ReopenPayPeriods => (PayPeriods, Reopen);
    ReadPayroll => (Payroll, Read);
    RunPayroll => (Payroll, Run);
    ExportCrew => (Exports, Read);
    ReadAnalytics => (Analytics, Read);
    ManageCalendarFeeds => (CalendarFeeds, Update);
    ReadWebhooks => (Webhooks, Read);
    CreateWebhooks => (Webhooks, Create);
    UpdateWebhooks => (Webhooks, Update);
    DeleteWebhooks => (Webhooks, Delete);
    ReadNotifications => (Notifications, Read);
    RetryNotifications => (Notifications, Update);
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
