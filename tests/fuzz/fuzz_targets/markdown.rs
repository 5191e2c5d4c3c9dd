//! Markdown rendering: `tests/fuzz/src/markdown.rs` has the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    berth_fuzz::markdown::check(&String::from_utf8_lossy(data));
});
