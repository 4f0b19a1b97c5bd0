//! Compile once: the in-memory and on-disk caches, and instance reuse.

use std::time::Instant;

use callsheet_runtime::{Runtime, RuntimeConfig, RuntimeStats, Slot};

use crate::common::*;

#[test]
fn a_second_load_hits_the_cache_and_calls_reuse_the_prelinked_component() {
    let runtime = Runtime::new(config()).unwrap();
    let started = Instant::now();
    let first = runtime.load_payroll(PAYROLL).unwrap();
    let compile = started.elapsed();
    assert_eq!(
        runtime.stats(),
        RuntimeStats {
            compiled: 1,
            ..RuntimeStats::default()
        }
    );

    let started = Instant::now();
    let second = runtime.load_payroll(PAYROLL).unwrap();
    let hit = started.elapsed();
    assert_eq!(second.sha256(), first.sha256());
    assert_eq!(runtime.stats().compiled, 1, "not compiled again");
    assert_eq!(runtime.stats().memory_hits, 1);
    // By sha256 alone, without the bytes.
    let third = runtime.get(Slot::Payroll, &first.sha256()).expect("cached");
    assert_eq!(third.sha256(), first.sha256());

    // Every call instantiates the same pre-linked component: no compile, no link.
    for _ in 0..5 {
        second.compute(&pay_input("ok"), &vec![]).unwrap();
    }
    let stats = runtime.stats();
    assert_eq!((stats.compiled, stats.instantiations), (1, 5));
    eprintln!("payroll fixture: compile {compile:?}, cached load {hit:?}");
}

#[test]
fn the_same_bytes_for_another_slot_reuse_the_compiled_component() {
    let runtime = Runtime::new(config()).unwrap();
    runtime.load(Slot::Payroll, PAYROLL).unwrap();
    assert!(runtime.load(Slot::Rules, PAYROLL).is_err(), "wrong world");
    assert_eq!(runtime.stats().compiled, 1);
    assert_eq!(runtime.stats().memory_hits, 1);
}

#[test]
fn a_restart_loads_compiled_plugins_from_the_disk_cache() {
    let dir = tempfile::tempdir().unwrap();
    let with_dir = || RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..config()
    };

    let first = Runtime::new(with_dir()).unwrap();
    first.load_rules(RULES).unwrap();
    assert_eq!(first.stats().compiled, 1);
    drop(first);

    let second = Runtime::new(with_dir()).unwrap();
    let started = Instant::now();
    let rules = second.load_rules(RULES).unwrap();
    let from_disk = started.elapsed();
    assert_eq!(
        second.stats(),
        RuntimeStats {
            disk_hits: 1,
            ..RuntimeStats::default()
        }
    );
    rules
        .open(&problem(), &vec![])
        .expect("the deserialized plugin runs");
    eprintln!("rules fixture: load from disk cache {from_disk:?}");
}

#[test]
fn a_corrupt_disk_cache_entry_is_recompiled_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let with_dir = || RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..config()
    };
    Runtime::new(with_dir())
        .unwrap()
        .load_payroll(PAYROLL)
        .unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    let runtime = Runtime::new(with_dir()).unwrap();
    assert_good_payslip(&runtime.load_payroll(PAYROLL).unwrap());
    assert_eq!(
        (runtime.stats().disk_hits, runtime.stats().compiled),
        (0, 1)
    );
}

#[test]
fn instantiation_takes_microseconds() {
    let payroll = payroll();
    payroll.describe().unwrap();
    // validate-params on an empty list: instantiate + a trivial call.
    let runs = 200;
    let started = Instant::now();
    for _ in 0..runs {
        payroll.validate_params(&vec![]).unwrap();
    }
    let per_call = started.elapsed() / runs;
    eprintln!("payroll fixture: instantiate + validate-params {per_call:?} per call");
}
