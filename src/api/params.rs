//! Query parameter values as every dialect parses them. What is absent or empty, and the
//! defaults and clamps, stay with each dialect (each vendor documents its own).

use crate::error::{Code, Error, Result};

/// An integer; anything else is a 400 `INVALID_QUERY` naming the parameter.
pub fn int(name: &str, value: &str) -> Result<i64> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| Error::new(Code::InvalidQuery, format!("{name} must be an integer")))
}

/// A non-negative integer; anything else is a 400 `INVALID_QUERY` naming the parameter.
pub fn non_negative(name: &str, value: &str) -> Result<i64> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            Error::new(
                Code::InvalidQuery,
                format!("{name} must be a non-negative integer"),
            )
        })
}

/// A page number: absent or empty is 1; below 1 is a 400 (one rule for every dialect that
/// pages by number: Alauda's lists and the Index search).
pub fn page(name: &str, value: Option<&str>) -> Result<i64> {
    let page = optional_int(name, value)?.unwrap_or(1);
    if page < 1 {
        return Err(Error::new(
            Code::InvalidQuery,
            format!("`{name}` counts from 1"),
        ));
    }
    Ok(page)
}

/// An optional integer where an empty value counts as absent.
pub fn optional_int(name: &str, value: Option<&str>) -> Result<Option<i64>> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| int(name, v))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_and_garbage_is_named() {
        assert_eq!(int("n", " 42 ").unwrap(), 42);
        assert_eq!(int("n", "-3").unwrap(), -3);
        for bad in ["", "x", "1.5", "99999999999999999999", "0x10"] {
            let e = int("n", bad).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.message.as_ref()),
                (400, "n must be an integer"),
                "{bad:?}"
            );
        }
        assert_eq!(non_negative("skip", "0").unwrap(), 0);
        assert_eq!(
            non_negative("skip", "-1").unwrap_err().message,
            "skip must be a non-negative integer"
        );
        assert_eq!(optional_int("page", None).unwrap(), None);
        assert_eq!(optional_int("page", Some("  ")).unwrap(), None);
        assert_eq!(optional_int("page", Some("2")).unwrap(), Some(2));
        assert!(optional_int("page", Some("two")).is_err());
    }
}
