//! `sqlx::migrate!` embeds `migrations/` at compile time, a dependency cargo cannot see:
//! without this, a new migration file would not rebuild the server, which would then
//! start without it.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
