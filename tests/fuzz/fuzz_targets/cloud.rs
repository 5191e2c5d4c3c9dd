//! Requests to the routes of one dialect: `tests/fuzz/src/http.rs` makes them and checks
//! the answers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    berth_fuzz::http::fuzz(berth_fuzz::routes::Dialect::Cloud, data);
});
