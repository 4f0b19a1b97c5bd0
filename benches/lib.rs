//! Criterion benchmarks of callsheet; see `docs/benchmarks.md` for the figures and how to
//! reproduce them (`cargo bench -p callsheet-benches`).
