//! Timestamps on the wire: RFC 3339, UTC, milliseconds, `Z`.

use chrono::{DateTime, SecondsFormat};

/// `ms` since the Unix epoch as `2014-11-19T05:54:22.741Z`.
pub fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn rfc3339_opt(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(rfc3339(1_416_376_462_741), "2014-11-19T05:54:22.741Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_opt(None), None);
    }
}
