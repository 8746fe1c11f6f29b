//! Time: the store keeps UTC, prices follow elapsed minutes, paper shows local time, also across
//! daylight-saving changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::{TimeZone, Utc};
use clearpark::booth::{GateSignal, ScanOutcome};
use support::*;

fn receipt_text(effects: &[clearpark::booth::Effect]) -> String {
    printed(effects)[0].document.plain_text().join("\n")
}

#[test]
fn a_stay_across_the_autumn_change_is_priced_by_elapsed_minutes() {
    let mut b = TestBooth::with("0.10", |c| c.booth.timezone = chrono_tz::Europe::Berlin);
    let (_, code) = b.account("dst");
    // 02:30 CEST; clocks go back at 03:00 CEST to 02:00 CET; leave at 02:45 CET.
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 10, 25, 1, 45, 0).unwrap());
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(
        quote.billed_minutes, 75,
        "the wall clock says 15, the car stayed 75"
    );
    assert_eq!(quote.total.to_string(), "7.50");
    let text = receipt_text(&effects);
    assert!(text.contains("Entry: 2026-10-25 02:30:00 CEST"), "{text}");
    assert!(text.contains("Exit: 2026-10-25 02:45:00 CET"), "{text}");
    assert!(text.contains("Duration: 1 h 15 min 00 s"), "{text}");
    // The store holds UTC.
    let (start, end): (String, String) = b
        .conn()
        .query_row(
            r#"SELECT "AttStartDate", "AttEndDate" FROM parking_session"#,
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (start.as_str(), end.as_str()),
        ("2026-10-25 00:30:00", "2026-10-25 01:45:00")
    );
}

#[test]
fn a_stay_across_the_spring_change_is_priced_by_elapsed_minutes() {
    let mut b = TestBooth::with("0.10", |c| c.booth.timezone = chrono_tz::Europe::Berlin);
    let (_, code) = b.account("spring");
    // 01:30 CET; clocks jump at 02:00 CET to 03:00 CEST; leave at 03:30 CEST.
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap());
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap());
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(
        quote.billed_minutes, 60,
        "the wall clock says 2 hours, the car stayed 1"
    );
    let text = receipt_text(&effects);
    assert!(text.contains("Entry: 2026-03-29 01:30:00 CET"), "{text}");
    assert!(text.contains("Exit: 2026-03-29 03:30:00 CEST"), "{text}");
}

#[test]
fn today_follows_the_local_calendar_day() {
    let mut b = TestBooth::with("1.00", |c| c.booth.timezone = chrono_tz::Asia::Ashgabat);
    let (_, code) = b.account("late");
    // 23:50 local (18:50 UTC) in, 00:10 local next day (19:10 UTC) out: tomorrow's revenue.
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 23, 18, 50, 0).unwrap());
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 23, 19, 10, 0).unwrap());
    b.scan(OUT, code.as_bytes());
    let snap = b.booth().snapshot();
    assert_eq!(
        snap.revenue_today.day,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
    );
    assert_eq!(snap.revenue_today.total().to_string(), "20.00");
    // An hour later, still the same local day: the revenue stays.
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 23, 20, 10, 0).unwrap());
    b.gate(OUT, GateSignal::Passed);
    assert_eq!(
        b.booth().snapshot().revenue_today.total().to_string(),
        "20.00"
    );
    // The next local day starts from zero.
    b.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 19, 0, 1).unwrap());
    b.gate(OUT, GateSignal::Closed);
    assert_eq!(
        b.booth().snapshot().revenue_today.total().to_string(),
        "0.00"
    );
}
