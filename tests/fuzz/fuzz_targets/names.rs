//! Name validation: `tests/fuzz/src/names.rs` has the invariants.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let name = berth_fuzz::names::arbitrary_name(&mut u);
    let namespace = berth_fuzz::names::arbitrary_name(&mut u);
    berth_fuzz::names::check(&name, &namespace);
});
