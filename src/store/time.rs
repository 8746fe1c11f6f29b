//! Timestamps as the store keeps them: UTC text `YYYY-MM-DD HH:MM:SS`, fractional seconds
//! allowed (the accounting systems' `timestamp without time zone`, always meaning UTC here).

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// A UTC instant as stored: binds and reads as text in the store's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbTime(pub DateTime<Utc>);

pub fn format(at: DateTime<Utc>) -> String {
    at.format(FORMAT).to_string()
}

pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), FORMAT)
        .ok()
        .map(|naive| naive.and_utc())
}

impl ToSql for DbTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(format(self.0)))
    }
}

impl FromSql for DbTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        parse(text).map(DbTime).ok_or_else(|| {
            FromSqlError::Other(format!("{text:?} is not a UTC time YYYY-MM-DD HH:MM:SS").into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn whole_seconds_print_without_a_fraction() {
        let t = Utc.with_ymd_and_hms(2021, 10, 22, 14, 40, 2).unwrap();
        assert_eq!(format(t), "2021-10-22 14:40:02");
        assert_eq!(parse("2021-10-22 14:40:02"), Some(t));
    }

    #[test]
    fn fractions_round_trip() {
        let t = parse("2021-01-14 23:44:26.778464").unwrap();
        assert_eq!(format(t), "2021-01-14 23:44:26.778464");
    }

    #[test]
    fn garbage_is_not_a_time() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("2021-10-22T14:40:02+05:00"), None);
    }
}
