//! Load-time and validation checks: what is refused, with which message.

use callsheet_runtime::{Error, Runtime, RuntimeConfig, Slot};

use crate::common::*;

fn refusal(slot: Slot, bytes: &[u8]) -> String {
    let err = runtime().validate(slot, bytes).expect_err("refused");
    assert_eq!(err.code(), "PLUGIN_INVALID", "{err}");
    err.to_string()
}

#[test]
fn each_fixture_validates_for_its_slot() {
    let rt = runtime();
    assert_eq!(
        rt.validate(Slot::Rules, RULES).unwrap().name,
        "fixture-rules"
    );
    assert_eq!(
        rt.validate(Slot::Assigner, ASSIGNER).unwrap().name,
        "fixture-assigner"
    );
    let payroll = rt.validate(Slot::Payroll, PAYROLL).unwrap();
    assert_eq!(
        (payroll.name.as_str(), payroll.version.as_str()),
        ("fixture-payroll", "0.1.0")
    );
}

#[test]
fn garbage_and_core_modules_are_refused() {
    assert!(refusal(Slot::Rules, b"hello, world").contains("not a WebAssembly binary"));
    let core_module = b"\0asm\x01\0\0\0";
    assert!(refusal(Slot::Rules, core_module).contains("core WebAssembly module"));
    // A component header followed by garbage does not compile.
    assert!(refusal(Slot::Rules, b"\0asm\x0d\0\x01\0\xff\xff").contains("does not compile"));
    // An empty component compiles, but exports nothing.
    assert!(
        refusal(Slot::Rules, b"\0asm\x0d\0\x01\0").contains("does not implement the rules world")
    );
}

#[test]
fn a_component_for_another_world_is_refused() {
    let message = refusal(Slot::Rules, PAYROLL);
    assert!(
        message.contains("does not implement the rules world"),
        "{message}"
    );
    // An assigner imports tenant-rules, which no other world may.
    let message = refusal(Slot::Payroll, ASSIGNER);
    assert!(
        message.contains("callsheet:plugins/tenant-rules@0.1.0"),
        "{message}"
    );
}

#[test]
fn a_binary_over_the_size_limit_is_refused_before_compiling() {
    let runtime = Runtime::new(RuntimeConfig {
        max_binary_bytes: 1024,
        ..config()
    })
    .unwrap();
    let err = runtime.validate(Slot::Rules, RULES).expect_err("too big");
    assert!(
        matches!(&err, Error::Invalid { reason } if reason.contains("over the 1024-byte limit")),
        "{err}"
    );
    assert_eq!(runtime.stats().compiled, 0);
}

#[test]
fn slots_parse_from_their_world_names() {
    for slot in Slot::ALL {
        assert_eq!(slot.as_str().parse::<Slot>().unwrap(), slot);
    }
    assert!("nope".parse::<Slot>().is_err());
}
