//! Everything that differs between SQLite and PostgreSQL, in one trait.
//!
//! The stores' SQL (each store's `sql.rs`) is one text for both backends and never names
//! one; where the two cannot share a word, the SQL asks the [`Backend`] its storage type
//! implements (only [`super::sqlite`] and [`super::postgres`] do):
//!
//! - how a transaction that will write begins, and how it keeps the rows it read from
//!   changing before it commits: SQLite has one writer at a time and takes the database's
//!   write lock at `BEGIN IMMEDIATE` (a deferred transaction that reads first fails to
//!   upgrade once another has written); PostgreSQL locks the rows read (`SELECT ... ORDER
//!   BY id FOR UPDATE`, in id order so two such transactions wait instead of deadlocking;
//!   a concurrent insert referencing a locked row waits too, its foreign-key check taking
//!   a conflicting lock);
//! - how a case-insensitive substring search is written: SQLite's `LOWER` and `LIKE` fold
//!   ASCII letters only, so a search for "Été" would miss "ÉTÉ";
//! - what an error code means ([`Refusal`]).

/// Why the database refused a statement, as far as the stores care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another transaction holds what this one needs (SQLite busy or locked, PostgreSQL
    /// serialization failure or deadlock): trying again may succeed.
    Busy,
    /// The technician is already booked over this window (the PostgreSQL exclusion
    /// constraint, the SQLite trigger).
    TimeOverlap,
    /// A unique key already holds the value.
    Unique,
    /// A foreign key refused the write: the row is still referenced, or references none.
    ForeignKey,
}

/// A database the stores run on.
pub trait Backend {
    /// sqlx's database type.
    type Database: sqlx::Database;

    /// The statement that opens a transaction that will write rows it read first.
    const BEGIN_WRITE: &'static str;
    /// Appended to a `SELECT ... ORDER BY id` that reads rows the transaction will delete
    /// or rewrite.
    const LOCK_ROW: &'static str;
    /// Appended to a `SELECT` of rows to claim: rows another transaction is claiming are
    /// passed over instead of waited for (PostgreSQL `FOR UPDATE SKIP LOCKED`), so two
    /// replicas never claim one row. SQLite needs nothing: its one writer claims alone.
    const SKIP_LOCKED: &'static str;

    /// A condition true when `column` contains the text bound to `param` whatever the
    /// case of any letter; bind [`Backend::contains_pattern`] of the text to `param`.
    fn contains_ignoring_case(column: &str, param: &str) -> String;

    /// What to bind for [`Backend::contains_ignoring_case`] to find `needle` as it is
    /// written, every character taken literally.
    fn contains_pattern(needle: &str) -> String;

    /// What the error means, if it is one of the refusals the stores answer; `None` for
    /// any other error, and for errors of another backend.
    fn refusal(err: &sqlx::Error) -> Option<Refusal>;

    /// A scalar subquery giving the needs of the mission row `alias` as JSON text: an array
    /// with one array per need (id, position, skill, shift type, min and max crew, start
    /// and end in Unix seconds, the two penalties, attributes), by position then id. A page
    /// of missions then carries its needs in its own rows.
    fn needs_json(alias: &str) -> String;
}

/// A pooled connection or an open transaction of the backend (both deref to it), so one
/// helper serves either.
pub type Connection<B> = <<B as Backend>::Database as sqlx::Database>::Connection;
