//! Authentication: password hashing, access tokens, refresh tokens, login throttling.
//!
//! - Passwords: argon2id (the `argon2` crate, OWASP parameters), hashed off the async
//!   executor because a hash costs tens of milliseconds of CPU.
//! - Access tokens: HS256 JWTs (`jsonwebtoken`), short-lived, carrying the session id so
//!   a revoked session stops its access tokens at once (see `storage::Storage::principal`).
//! - Refresh tokens: 256 random bits, opaque, stored only as SHA-256, rotated on every use;
//!   presenting a spent one revokes the whole login (reuse detection).
//! - Throttling: failed logins counted per account and per client address, in Redis when
//!   configured (shared by replicas) or in process.

pub mod jwt;
pub mod password;
pub mod refresh;
pub mod throttle;
