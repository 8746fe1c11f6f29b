//! What goes on paper (docs/contracts.md §6): the exit receipt, the walk-in ticket and the shift report,
//! as printer-neutral documents. The printer adapter turns a [`Document`] into ESC/POS; the
//! headless console logs it; reprints rebuild it from the stored content.

use crate::domain::tariff::ChargeLine;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a stay was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    /// Charged to the customer account (`RpAccTransTotal`), settled by accounting.
    Account,
    Cash,
    Card,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [
        PaymentMethod::Account,
        PaymentMethod::Cash,
        PaymentMethod::Card,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Account => "account",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
        }
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PaymentMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "account" => Ok(PaymentMethod::Account),
            "cash" => Ok(PaymentMethod::Cash),
            "card" => Ok(PaymentMethod::Card),
            other => Err(format!("{other:?} is not one of account, cash, card")),
        }
    }
}

/// One line of a printed document; the printer decides fonts and widths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Line {
    /// Centred, large: the site name.
    Title(String),
    /// Centred, bold: what the document is.
    Heading(String),
    Text(String),
    /// `label ........ value` on one line.
    Field {
        label: String,
        value: String,
    },
    /// A field in bold, for the amount due.
    Total {
        label: String,
        value: String,
    },
    /// A QR code (Model 2) holding this text.
    Qr(String),
    Rule,
}

/// A printable document; the printer feeds and cuts after the last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub lines: Vec<Line>,
}

impl Document {
    /// The document as plain text lines, for logs and previews.
    pub fn plain_text(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|line| match line {
                Line::Title(t) | Line::Heading(t) | Line::Text(t) => t.clone(),
                Line::Field { label, value } | Line::Total { label, value } => {
                    format!("{label}: {value}")
                }
                Line::Qr(data) => format!("[QR {data}]"),
                Line::Rule => "-".repeat(32),
            })
            .collect()
    }
}

/// Who stayed: an account or a walk-in ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holder {
    Account {
        name: String,
        reg_no: Option<String>,
    },
    Ticket {
        ticket_no: i64,
    },
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Account {
                name,
                reg_no: Some(reg),
            } => write!(f, "{name} ({reg})"),
            Holder::Account { name, reg_no: None } => f.write_str(name),
            Holder::Ticket { ticket_no } => write!(f, "ticket {ticket_no:06}"),
        }
    }
}

/// Everything an exit receipt says; stored with the receipt so a reprint is identical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub site_name: String,
    pub receipt_no: i64,
    /// The receipt's id, printed as its QR code.
    pub receipt_id: String,
    pub holder: Holder,
    pub entry: DateTime<Utc>,
    pub exit: DateTime<Utc>,
    pub billed_minutes: i64,
    pub price_per_minute: Decimal,
    pub total: Decimal,
    pub currency: String,
    pub payment_method: PaymentMethod,
    /// Closed by the attendant under the lost-ticket rule.
    pub lost_ticket: bool,
    /// The tariff version that priced the stay (`"visitor v2"`); `None` on receipts from
    /// before tariffs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff: Option<String>,
    /// How the total was reached; empty on receipts from before tariffs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<ChargeLine>,
}

impl Receipt {
    pub fn document(&self, tz: Tz) -> Document {
        let mut lines = vec![
            Line::Title(self.site_name.clone()),
            Line::Heading("PARKING RECEIPT".into()),
            field("Receipt No", format!("{:06}", self.receipt_no)),
            field(
                match self.holder {
                    Holder::Account { .. } => "Account",
                    Holder::Ticket { .. } => "Ticket",
                },
                match &self.holder {
                    Holder::Ticket { ticket_no } => format!("{ticket_no:06}"),
                    other => other.to_string(),
                },
            ),
            Line::Rule,
            field("Entry", local_time(self.entry, tz)),
            field("Exit", local_time(self.exit, tz)),
            field(
                "Duration",
                duration_text(self.exit.signed_duration_since(self.entry).num_seconds()),
            ),
        ];
        if !self.lines.is_empty() {
            if let Some(tariff) = &self.tariff {
                lines.push(field("Tariff", tariff.clone()));
            }
            lines.extend(
                self.lines
                    .iter()
                    .map(|l| field(&l.label, format!("{} {}", l.amount, self.currency))),
            );
        } else if self.lost_ticket {
            lines.push(field("Tariff", "lost ticket fee".into()));
        } else {
            lines.push(field("Billed minutes", self.billed_minutes.to_string()));
            lines.push(field(
                "Price per minute",
                format!("{} {}", self.price_per_minute, self.currency),
            ));
        }
        lines.extend([
            Line::Rule,
            Line::Total {
                label: "TOTAL".into(),
                value: format!("{} {}", self.total, self.currency),
            },
            field("Payment", payment_text(self.payment_method).into()),
            Line::Qr(self.receipt_id.clone()),
            Line::Text("Thank you. Drive safely.".into()),
        ]);
        Document { lines }
    }
}

/// A walk-in ticket: its QR is what the exit scanner reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub site_name: String,
    pub ticket_no: i64,
    pub code: String,
    pub entry: DateTime<Utc>,
    /// The tariff the stay is priced by, in a line (`"visitor (first 60 min 2.00, ...)"`).
    pub tariff: String,
}

impl Ticket {
    pub fn document(&self, tz: Tz) -> Document {
        Document {
            lines: vec![
                Line::Title(self.site_name.clone()),
                Line::Heading("PARKING TICKET".into()),
                field("Ticket No", format!("{:06}", self.ticket_no)),
                field("Entry", local_time(self.entry, tz)),
                field("Tariff", self.tariff.clone()),
                Line::Qr(self.code.clone()),
                Line::Text("Keep this ticket. Pay at the exit.".into()),
            ],
        }
    }
}

/// An attendant override, as the shift report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideLine {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub lane: Option<String>,
    pub reason: String,
}

/// The shift report: counts, revenue by payment method, overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    pub site_name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub entries: i64,
    pub exits: i64,
    pub tickets_issued: i64,
    pub lost_tickets: i64,
    pub inside_now: i64,
    /// Receipts and their sum per payment method, every method listed even at zero.
    pub revenue: Vec<(PaymentMethod, i64, Decimal)>,
    pub currency: String,
    pub overrides: Vec<OverrideLine>,
}

impl ShiftReport {
    pub fn total_revenue(&self) -> Decimal {
        self.revenue.iter().map(|(_, _, sum)| *sum).sum()
    }

    pub fn document(&self, tz: Tz) -> Document {
        let mut lines = vec![
            Line::Title(self.site_name.clone()),
            Line::Heading("SHIFT REPORT".into()),
            field("From", local_time(self.from, tz)),
            field("To", local_time(self.to, tz)),
            Line::Rule,
            field("Entries", self.entries.to_string()),
            field("Exits", self.exits.to_string()),
            field("Tickets issued", self.tickets_issued.to_string()),
            field("Lost tickets", self.lost_tickets.to_string()),
            field("Inside now", self.inside_now.to_string()),
            Line::Rule,
        ];
        for (method, count, sum) in &self.revenue {
            lines.push(field(
                &format!("{} ({count})", payment_text(*method)),
                format!("{} {}", super::pricing::round_money(*sum), self.currency),
            ));
        }
        lines.push(Line::Total {
            label: "REVENUE".into(),
            value: format!(
                "{} {}",
                super::pricing::round_money(self.total_revenue()),
                self.currency
            ),
        });
        lines.push(Line::Rule);
        lines.push(field("Overrides", self.overrides.len().to_string()));
        for o in &self.overrides {
            lines.push(Line::Text(format!(
                "{} {} {}: {}",
                local_time(o.at, tz),
                o.lane.as_deref().unwrap_or("-"),
                o.action,
                o.reason
            )));
        }
        Document { lines }
    }
}

fn field(label: &str, value: String) -> Line {
    Line::Field {
        label: label.to_owned(),
        value,
    }
}

fn payment_text(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Account => "Charged to account",
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Card => "Card",
    }
}

/// Local wall-clock time with its zone abbreviation, so a stay across a DST change reads right.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `2 h 07 min 15 s`, or `7 min 15 s` under an hour.
pub fn duration_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h} h {m:02} min {s:02} s")
    } else {
        format!("{m} min {s:02} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn receipt() -> Receipt {
        Receipt {
            site_name: "Central".into(),
            receipt_no: 42,
            receipt_id: "7d0f6c1e-0000-4000-8000-000000000042".into(),
            holder: Holder::Account {
                name: "bionicccccc".into(),
                reg_no: Some("ARAK12".into()),
            },
            entry: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
            exit: Utc.with_ymd_and_hms(2026, 11, 23, 10, 7, 15).unwrap(),
            billed_minutes: 8,
            price_per_minute: "0.05".parse().unwrap(),
            total: "0.40".parse().unwrap(),
            currency: "TMT".into(),
            payment_method: PaymentMethod::Account,
            lost_ticket: false,
            tariff: None,
            lines: Vec::new(),
        }
    }

    #[test]
    fn receipt_has_every_contract_field_in_local_time() {
        let text = receipt()
            .document(chrono_tz::Asia::Ashgabat)
            .plain_text()
            .join("\n");
        for needle in [
            "Central",
            "Receipt No: 000042",
            "Account: bionicccccc (ARAK12)",
            "Entry: 2026-11-23 15:00:00 +05",
            "Exit: 2026-11-23 15:07:15 +05",
            "Duration: 7 min 15 s",
            "Billed minutes: 8",
            "Price per minute: 0.05 TMT",
            "TOTAL: 0.40 TMT",
            "Payment: Charged to account",
            "[QR 7d0f6c1e-0000-4000-8000-000000000042]",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
    }

    #[test]
    fn lost_ticket_receipt_shows_the_fee_not_the_meter() {
        let mut r = receipt();
        r.lost_ticket = true;
        r.holder = Holder::Ticket { ticket_no: 7 };
        r.payment_method = PaymentMethod::Cash;
        let text = r.document(chrono_tz::UTC).plain_text().join("\n");
        assert!(text.contains("Tariff: lost ticket fee"));
        assert!(text.contains("Ticket: 000007"));
        assert!(!text.contains("Billed minutes"));
    }

    #[test]
    fn ticket_carries_its_code_as_qr() {
        let t = Ticket {
            site_name: "Central".into(),
            ticket_no: 3,
            code: "CPT-abc".into(),
            entry: Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap(),
            tariff: "0.05 EUR per minute".into(),
        };
        let doc = t.document(chrono_tz::Europe::Berlin);
        assert!(doc.lines.contains(&Line::Qr("CPT-abc".into())));
        assert!(
            doc.plain_text()
                .join("\n")
                .contains("2026-03-29 01:30:00 CET")
        );
    }

    #[test]
    fn shift_report_sums_revenue() {
        let report = ShiftReport {
            site_name: "Central".into(),
            from: Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap(),
            entries: 10,
            exits: 8,
            tickets_issued: 2,
            lost_tickets: 1,
            inside_now: 2,
            revenue: vec![
                (PaymentMethod::Account, 6, "3.20".parse().unwrap()),
                (PaymentMethod::Cash, 1, "20.00".parse().unwrap()),
                (PaymentMethod::Card, 1, "1.15".parse().unwrap()),
            ],
            currency: "TMT".into(),
            overrides: vec![OverrideLine {
                at: Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
                actor: "anna".into(),
                action: "open".into(),
                lane: Some("in-1".into()),
                reason: "ambulance".into(),
            }],
        };
        let text = report.document(chrono_tz::UTC).plain_text().join("\n");
        assert!(text.contains("REVENUE: 24.35 TMT"), "{text}");
        assert!(text.contains("Cash (1): 20.00 TMT"));
        assert!(text.contains("in-1 open: ambulance"));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(435), "7 min 15 s");
        assert_eq!(duration_text(7635), "2 h 07 min 15 s");
        assert_eq!(duration_text(-5), "0 min 00 s");
    }
}
