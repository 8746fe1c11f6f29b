//! Where a stay meets the time-of-day bands and the calendar days, in the booth's time zone.
//! Everything is turned into UTC instants first, so a DST change makes a band or a day an hour
//! longer or shorter and the meter counts the time that really passed.

use super::Band;
use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// A band's stretch inside a stay: `[from, to)`, clipped to the stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Index into the rules' bands.
    pub band: usize,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Whether two bands share any time of day.
pub fn overlap(a: &Band, b: &Band) -> bool {
    let (a, b) = (spans(a), spans(b));
    a.iter()
        .flatten()
        .any(|x| b.iter().flatten().any(|y| x.0 < y.1 && y.0 < x.1))
}

/// A band as one or two `[from, to)` spans of seconds into the day.
fn spans(band: &Band) -> [Option<(u32, u32)>; 2] {
    const DAY: u32 = 24 * 3600;
    let (from, to) = (
        band.from.num_seconds_from_midnight(),
        band.to.num_seconds_from_midnight(),
    );
    if from < to {
        [Some((from, to)), None]
    } else {
        [Some((from, DAY)), Some((0, to))]
    }
}

/// Every stretch of every band inside `[start, end)`, in order of time.
pub fn occurrences(
    bands: &[Band],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: Tz,
) -> Vec<Occurrence> {
    let mut found = Vec::new();
    if bands.is_empty() || end <= start {
        return found;
    }
    // A band that began the evening before the entrance may still be running.
    let first = start.with_timezone(&tz).date_naive() - Days::new(1);
    let last = end.with_timezone(&tz).date_naive();
    let mut day = first;
    while day <= last {
        for (i, band) in bands.iter().enumerate() {
            let ends_on = if band.to <= band.from {
                day + Days::new(1)
            } else {
                day
            };
            let from = local_instant(tz, day, band.from).max(start);
            let to = local_instant(tz, ends_on, band.to).min(end);
            if from < to {
                found.push(Occurrence { band: i, from, to });
            }
        }
        day = day + Days::new(1);
    }
    found.sort_by_key(|o| o.from);
    found
}

/// The local midnights after `start` and before `end`: where calendar days begin.
pub fn midnights(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Vec<DateTime<Utc>> {
    let mut found = Vec::new();
    let mut day = start.with_timezone(&tz).date_naive() + Days::new(1);
    loop {
        let at = local_instant(tz, day, NaiveTime::MIN);
        if at >= end {
            return found;
        }
        if at > start {
            found.push(at);
        }
        day = day + Days::new(1);
    }
}

/// The instant a local wall-clock time names. A time the clocks skipped (spring forward) is
/// the first one after it that exists; a time that happens twice (fall back) is the first.
pub fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let wall = day.and_time(time);
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // A gap is at most a few hours and starts and ends on a whole minute, as band edges
            // and midnight do: step a minute at a time to where the clock exists again.
            let mut later = wall;
            for _ in 0..(24 * 60) {
                later += TimeDelta::minutes(1);
                if let Some(t) = tz.from_local_datetime(&later).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            // No zone has a day-long gap; read the wall time as UTC rather than fail.
            wall.and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn band(name: &str, from: &str, to: &str) -> Band {
        Band {
            name: name.into(),
            from: NaiveTime::parse_from_str(from, "%H:%M").unwrap(),
            to: NaiveTime::parse_from_str(to, "%H:%M").unwrap(),
            price: Decimal::ONE,
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn bands_across_midnight_overlap_what_they_cover() {
        let night = band("night", "20:00", "08:00");
        assert!(overlap(&night, &band("early", "06:00", "09:00")));
        assert!(overlap(&night, &band("late", "23:00", "23:30")));
        assert!(!overlap(&night, &band("day", "08:00", "20:00")));
        assert!(!overlap(
            &band("a", "10:00", "12:00"),
            &band("b", "12:00", "14:00")
        ));
    }

    #[test]
    fn a_night_band_in_berlin_on_the_night_the_clocks_go_back_is_13_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-10-25 03:00 CEST becomes 02:00 CET.
        let found = occurrences(
            &[band("night", "20:00", "08:00")],
            utc("2026-10-24T08:00:00Z"),
            utc("2026-10-25T12:00:00Z"),
            tz,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].from, utc("2026-10-24T18:00:00Z")); // 20:00 CEST
        assert_eq!(found[0].to, utc("2026-10-25T07:00:00Z")); // 08:00 CET
        assert_eq!((found[0].to - found[0].from).num_hours(), 13);
    }

    #[test]
    fn a_band_edge_the_clocks_skip_starts_when_the_clock_exists_again() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 never happens.
        let at = local_instant(
            tz,
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(at, utc("2026-03-29T01:00:00Z")); // 03:00 CEST
    }

    #[test]
    fn calendar_days_are_23_or_25_hours_on_a_dst_change() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let m = midnights(utc("2026-10-24T12:00:00Z"), utc("2026-10-26T12:00:00Z"), tz);
        assert_eq!(
            m,
            vec![utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z")]
        );
        assert_eq!((m[1] - m[0]).num_hours(), 25);
    }

    #[test]
    fn a_band_that_began_the_evening_before_the_entrance_is_found() {
        let found = occurrences(
            &[band("night", "20:00", "08:00")],
            utc("2026-12-07T02:00:00Z"),
            utc("2026-12-07T09:00:00Z"),
            Tz::UTC,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].from, found[0].to),
            (utc("2026-12-07T02:00:00Z"), utc("2026-12-07T08:00:00Z"))
        );
    }
}
