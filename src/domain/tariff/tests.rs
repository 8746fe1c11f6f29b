//! The tariff rules against the posted board (docs/board.toml, worked examples in
//! docs/tariffs.md) and, as properties, over random boards and stays.

use super::*;
use crate::domain::pricing;
use chrono::{Datelike, TimeDelta, TimeZone};
use chrono_tz::Tz;
use proptest::prelude::*;
use rust_decimal::Decimal;

const BOARD: &str = include_str!("../../../docs/board.toml");

fn board() -> Board {
    Board::from_toml(BOARD).expect("the posted board parses")
}

fn rules(name: &str) -> Rules {
    board()
        .tariffs
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tariff {name}"))
        .rules
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Ashgabat: the board's currency's zone, UTC+5 all year.
fn ashgabat() -> Tz {
    "Asia/Ashgabat".parse().unwrap()
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn stay(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Stay<'static> {
    Stay {
        start,
        end,
        resource_price: dec("0.05"),
        tz,
        lost_ticket: false,
        validation: None,
    }
}

/// The tariff `name` from `start` to `end`, in Ashgabat.
fn between(name: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Priced {
    price(&rules(name), &stay(start, end, ashgabat())).unwrap()
}

/// A visitor from 10:00 local (a Monday), `minutes` long.
fn visitor(minutes: i64) -> Priced {
    let start = local(ashgabat(), 2026, 12, 7, 10, 0);
    between("visitor", start, start + TimeDelta::minutes(minutes))
}

fn amounts(p: &Priced) -> Vec<(LineKind, i64, String)> {
    p.lines
        .iter()
        .map(|l| (l.kind, l.count, l.amount.to_string()))
        .collect()
}

#[test]
fn worked_examples_of_the_posted_board() {
    // 7 min: inside the 10-minute grace.
    assert_eq!(visitor(7).total.to_string(), "0.00");
    assert_eq!(visitor(7).lines[0].kind, LineKind::Grace);
    // 59 min: the first hour.
    assert_eq!(visitor(59).total.to_string(), "2.00");
    // 61 min: the first hour and one started quarter.
    let p = visitor(61);
    assert_eq!(p.total.to_string(), "2.50");
    assert_eq!(
        amounts(&p),
        vec![
            (LineKind::Period, 1, "2.00".into()),
            (LineKind::Period, 1, "0.50".into())
        ]
    );
    // 3 h 5 min: 2.00 + 8 quarters + one started hour.
    let p = visitor(185);
    assert_eq!(p.total.to_string(), "7.50");
    assert_eq!(p.lines[2].label, "From 180 min: 1 × 1 h at 1.50");
    assert_eq!(p.billed_minutes, 185);
}

#[test]
fn overnight_the_meter_stops_for_the_night_rate() {
    let tz = ashgabat();
    // 18:00 to 09:30 next day: 120 + 90 metered minutes, and the night.
    let p = between(
        "visitor",
        local(tz, 2026, 12, 7, 18, 0),
        local(tz, 2026, 12, 8, 9, 30),
    );
    assert_eq!(p.total.to_string(), "12.50");
    assert_eq!(
        amounts(&p),
        vec![
            (LineKind::Period, 1, "2.00".into()),
            (LineKind::Period, 8, "4.00".into()),
            (LineKind::Period, 1, "1.50".into()),
            (LineKind::Band, 1, "5.00".into()),
        ]
    );
}

#[test]
fn three_days_pay_the_daily_maximum_three_times() {
    let p = visitor(3 * 24 * 60);
    assert_eq!(p.total.to_string(), "60.00");
    let cap = p.lines.last().unwrap();
    assert_eq!(
        (cap.kind, cap.count, cap.amount.to_string()),
        (LineKind::DailyMax, 3, "-10.50".into())
    );
    assert_eq!(cap.label, "Daily maximum 20.00 per 24 h: 3 days capped");
}

#[test]
fn a_lost_ticket_pays_the_fee_or_the_stay_whichever_is_more() {
    let tz = ashgabat();
    let start = local(tz, 2026, 12, 7, 10, 0);
    let lost = |minutes: i64| {
        price(
            &rules("visitor"),
            &Stay {
                lost_ticket: true,
                ..stay(start, start + TimeDelta::minutes(minutes), tz)
            },
        )
        .unwrap()
    };
    assert_eq!(lost(120).total.to_string(), "25.00");
    assert_eq!(lost(120).lines.last().unwrap().amount.to_string(), "21.00");
    assert_eq!(lost(3 * 24 * 60).total.to_string(), "60.00");
    let mut add = rules("visitor");
    add.lost_ticket.rule = LostRule::Add;
    let p = price(
        &add,
        &Stay {
            lost_ticket: true,
            ..stay(start, start + TimeDelta::minutes(120), tz)
        },
    )
    .unwrap();
    assert_eq!(p.total.to_string(), "29.00");
}

#[test]
fn a_validation_takes_minutes_off_the_end_or_a_share_off_the_price() {
    let tz = ashgabat();
    let start = local(tz, 2026, 12, 7, 10, 0);
    let validated = |grant| {
        let v = Validation {
            label: "Bookshop".into(),
            grant,
        };
        price(
            &rules("visitor"),
            &Stay {
                validation: Some(&v),
                ..stay(start, start + TimeDelta::minutes(185), tz)
            },
        )
        .unwrap()
    };
    let p = validated(Grant::FreeMinutes(60));
    assert_eq!(p.total.to_string(), "4.50");
    let v = p.lines.last().unwrap();
    assert_eq!(
        (v.kind, v.label.as_str(), v.amount.to_string()),
        (
            LineKind::Validation,
            "Validated by Bookshop: 60 min free",
            "-3.00".into()
        )
    );
    assert_eq!(
        validated(Grant::PercentOff(dec("50"))).total.to_string(),
        "3.75"
    );
    assert_eq!(
        validated(Grant::PercentOff(dec("100"))).total.to_string(),
        "0.00"
    );
}

#[test]
fn staff_pay_a_calendar_day_at_most_once_however_late_they_stay() {
    let tz = ashgabat();
    // 22:00 to 02:00: two calendar days touched, 1.00 each.
    let p = between(
        "staff",
        local(tz, 2026, 12, 7, 22, 0),
        local(tz, 2026, 12, 8, 2, 0),
    );
    assert_eq!(p.total.to_string(), "2.00");
}

#[test]
fn the_subscriber_tariff_meters_the_resource_price() {
    let start = local(ashgabat(), 2026, 12, 7, 10, 0);
    let p = price(
        &rules("subscriber"),
        &Stay {
            resource_price: dec("0.01"),
            ..stay(start, start + TimeDelta::minutes(45), ashgabat())
        },
    )
    .unwrap();
    assert_eq!(p.total.to_string(), "0.45");
}

#[test]
fn the_board_assigns_by_price_group_then_type_then_default() {
    let b = board();
    assert!(b.assign.contains(&(Target::PriceGroup(2), "staff".into())));
    assert!(
        b.assign
            .contains(&(Target::AccountType(3), "subscriber".into()))
    );
    assert_eq!(
        board::precedence(board::Parker::Account {
            type_id: Some(3),
            price_group_id: Some(2)
        }),
        vec![
            Target::PriceGroup(2),
            Target::AccountType(3),
            Target::Default
        ]
    );
    assert_eq!(
        board::precedence(board::Parker::Walkin),
        vec![Target::Walkin, Target::Default]
    );
}

#[test]
fn a_broken_board_says_every_problem_with_its_tariff() {
    let err = Board::from_toml(
        r#"
        [[tariff]]
        name = "bad"
        grace_minutes = 5
        [[tariff.period]]
        every = 0
        price = "-1"
        [[tariff.period]]
        minutes = 30
        every = 60
        price = "cheap"

        [[tariff]]
        name = "night-only"
        band = [{ name = "a", from = "20:00", to = "08:00", price = "1" },
                { name = "b", from = "07:00", to = "09:00", price = "1" }]
        [[tariff.period]]
        every = 60
        price = "1"

        [tariffs]
        account_type = { x = "bad" }
        "#,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("tariff \"bad\": "), "{text}");
    assert!(text.contains("\"cheap\" is not an amount"), "{text}");
    assert!(text.contains("bands \"a\" and \"b\" overlap"), "{text}");
    assert!(
        text.contains("tariffs.account_type: \"x\" is not a whole number"),
        "{text}"
    );
    let err = Board::from_toml(
        "[[tariff]]\nname = \"x\"\n[[tariff.period]]\nminutes = 50\nevery = 15\nprice = \"1\"\n[[tariff.period]]\nevery = 1\nprice = \"1\"\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("50 is not a whole number of 15-minute blocks"),
        "{err}"
    );
}

#[test]
fn rules_survive_their_stored_json() {
    for t in board().tariffs {
        let json = serde_json::to_string(&t.rules).unwrap();
        assert_eq!(serde_json::from_str::<Rules>(&json).unwrap(), t.rules);
    }
}

// ---- properties over random boards and stays -------------------------------------------------

fn zones() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        Tz::UTC,
        "Europe/Berlin".parse::<Tz>().unwrap(),
        "America/New_York".parse::<Tz>().unwrap(),
        "Asia/Ashgabat".parse::<Tz>().unwrap(),
        "Australia/Lord_Howe".parse::<Tz>().unwrap(),
    ])
}

fn amount() -> impl Strategy<Value = Decimal> {
    (0_i64..1_000).prop_map(|cents| Decimal::new(cents, 2))
}

fn period(last: bool) -> impl Strategy<Value = Period> {
    (1_u32..90, 1_u32..5, amount(), any::<bool>()).prop_map(
        move |(every, times, price, resource)| Period {
            minutes: (!last).then_some(every * times),
            every,
            price: if resource {
                Price::Resource
            } else {
                Price::Fixed(price)
            },
        },
    )
}

fn random_rules() -> impl Strategy<Value = Rules> {
    (
        0_u32..30,
        prop::collection::vec(period(false), 0..3),
        period(true),
        prop::option::of((amount(), any::<bool>())),
        prop::option::of((0_u32..24, 1_u32..14, amount())),
    )
        .prop_map(|(grace, mut periods, last, cap, band)| {
            periods.push(last);
            Rules {
                grace_minutes: grace,
                periods,
                daily_max: cap.map(|(amount, rolling)| DailyMax {
                    amount,
                    per: if rolling {
                        DayKind::Rolling24h
                    } else {
                        DayKind::CalendarDay
                    },
                }),
                bands: band
                    .map(|(from, hours, price)| Band {
                        name: "band".into(),
                        from: NaiveTime::from_hms_opt(from, 0, 0).unwrap(),
                        to: NaiveTime::from_hms_opt((from + hours) % 24, 0, 0).unwrap(),
                        price,
                    })
                    .into_iter()
                    .collect(),
                lost_ticket: LostTicket::default(),
                exit_grace_minutes: 15,
            }
        })
}

/// A start somewhere in 2026 (DST changes included) and two stay lengths up to 4 days, in ms.
fn stays() -> impl Strategy<Value = (DateTime<Utc>, i64, i64)> {
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (
        0_i64..365 * 24 * 60,
        0_i64..4 * 86_400_000,
        0_i64..4 * 86_400_000,
    )
        .prop_map(move |(minute, a, b)| (year + TimeDelta::minutes(minute), a.min(b), a.max(b)))
}

fn priced(rules: &Rules, start: DateTime<Utc>, ms: i64, tz: Tz) -> Priced {
    price(
        rules,
        &Stay {
            start,
            end: start + TimeDelta::milliseconds(ms),
            resource_price: dec("0.0125"),
            tz,
            lost_ticket: false,
            validation: None,
        },
    )
    .unwrap()
}

/// Days a cap is counted over: started 24-hour periods, or local calendar days touched.
fn days(per: DayKind, start: DateTime<Utc>, ms: i64, tz: Tz) -> i64 {
    match per {
        DayKind::Rolling24h => (ms + 86_399_999) / 86_400_000,
        DayKind::CalendarDay if ms == 0 => 0,
        DayKind::CalendarDay => {
            let end = start + TimeDelta::milliseconds(ms) - TimeDelta::nanoseconds(1);
            let (a, b) = (
                start.with_timezone(&tz).date_naive(),
                end.with_timezone(&tz).date_naive(),
            );
            i64::from(b.num_days_from_ce() - a.num_days_from_ce()) + 1
        }
    }
}

proptest! {
    #[test]
    fn the_total_never_decreases_as_the_exit_moves_later(
        rules in random_rules(), (start, short, long) in stays(), tz in zones()
    ) {
        let (a, b) = (priced(&rules, start, short, tz), priced(&rules, start, long, tz));
        prop_assert!(a.total <= b.total, "{} then {}: {:?} / {:?}", a.total, b.total, a.lines, b.lines);
    }

    #[test]
    fn the_total_never_exceeds_the_daily_maximum_times_the_days(
        rules in random_rules(), (start, _, ms) in stays(), tz in zones()
    ) {
        if let Some(max) = &rules.daily_max {
            let p = priced(&rules, start, ms, tz);
            let bound = max.amount * Decimal::from(days(max.per, start, ms, tz));
            prop_assert!(p.total <= bound, "{} > {bound}", p.total);
        }
    }

    #[test]
    fn a_stay_within_grace_is_free(rules in random_rules(), (start, _, _) in stays(), tz in zones(), share in 0_i64..=1000) {
        let grace_ms = i64::from(rules.grace_minutes) * 60_000;
        let p = priced(&rules, start, grace_ms * share / 1000, tz);
        prop_assert_eq!(p.total, Decimal::ZERO);
    }

    #[test]
    fn the_standard_tariff_is_every_started_minute_at_the_resource_price(
        (start, _, ms) in stays(), cents in 0_i64..100_000, scale in 0_u32..5, tz in zones()
    ) {
        let per_minute = Decimal::new(cents, scale);
        let end = start + TimeDelta::milliseconds(ms);
        let p = price(&Rules::per_minute(Decimal::ZERO), &Stay {
            resource_price: per_minute,
            ..stay(start, end, tz)
        }).unwrap();
        let today = pricing::quote(start, end, per_minute).unwrap();
        prop_assert_eq!(p.total, today.total);
        prop_assert_eq!(p.billed_minutes, today.billed_minutes);
    }

    /// Night 20:00–08:00 in Berlin at no charge and a cent a minute outside it: the total is the
    /// minutes whose local clock is outside the night, counted one by one, across DST changes.
    #[test]
    fn a_band_across_a_dst_change_prices_the_time_that_passed(
        day in prop::sample::select(vec![(3, 27), (3, 28), (3, 29), (10, 24), (10, 25), (6, 1)]),
        hour in 0_u32..24, minutes in 0_i64..3 * 24 * 60
    ) {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let start = Utc.with_ymd_and_hms(2026, day.0, day.1, hour, 0, 0).unwrap();
        let rules = Rules {
            bands: vec![Band {
                name: "Night".into(),
                from: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                to: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                price: Decimal::ZERO,
            }],
            ..Rules::per_minute(Decimal::ZERO)
        };
        let p = price(&rules, &Stay {
            resource_price: dec("0.01"),
            ..stay(start, start + TimeDelta::minutes(minutes), tz)
        }).unwrap();
        let day_minutes = (0..minutes)
            .filter(|m| {
                let hour = (start + TimeDelta::minutes(*m)).with_timezone(&tz).hour();
                (8..20).contains(&hour)
            })
            .count();
        prop_assert_eq!(p.total, Decimal::new(day_minutes as i64, 2));
    }
}

use chrono::Timelike;

#[test]
fn a_day_in_berlin_when_the_clocks_go_back_is_25_hours_of_meter() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let start = local(tz, 2026, 10, 25, 0, 0);
    let end = local(tz, 2026, 10, 26, 0, 0);
    let p = price(
        &Rules::per_minute(Decimal::ZERO),
        &Stay {
            resource_price: dec("0.01"),
            ..stay(start, end, tz)
        },
    )
    .unwrap();
    assert_eq!(p.billed_minutes, 25 * 60);
    assert_eq!(p.total.to_string(), "15.00");
    assert_eq!(start.with_timezone(&tz).day(), 25);
}
