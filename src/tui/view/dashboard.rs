//! The dashboard: lanes, the live stream of decisions, revenue, bays and alerts.

use super::style;
use crate::booth::NwaveLink;
use crate::booth::{Activity, ActivityKind, GatePosition, LaneView, ScanOutcome};
use crate::domain::session::Direction;
use crate::tui::app::App;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph};

/// Alerts older than this leave the alerts box (they stay in the activity list).
const ALERT_MINUTES: i64 = 15;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let lanes_height = (app.snapshot.lanes.len() as u16 + 2)
        .min(area.height / 2)
        .max(3);
    let [lanes, rest] =
        Layout::vertical([Constraint::Length(lanes_height), Constraint::Min(3)]).areas(area);
    draw_lanes(frame, lanes, app);
    let side = if rest.width >= 120 { 44 } else { 30 };
    let [activity, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(side)]).areas(rest);
    draw_activity(frame, activity, app);
    let alerts = alerts(app);
    let bays_lines = bay_lines(app);
    let [revenue, bays, alerts_area] = Layout::vertical([
        Constraint::Length(5),
        // On a small screen the alerts keep their room; the bays view has the details.
        Constraint::Length((bays_lines.len() as u16 + 2).min(if right.height < 20 {
            5
        } else {
            10
        })),
        Constraint::Min(3),
    ])
    .areas(right);
    draw_revenue(frame, revenue, app);
    frame.render_widget(
        Paragraph::new(bays_lines).block(Block::bordered().title(" Bays ")),
        bays,
    );
    let items: Vec<ListItem<'_>> = alerts.into_iter().map(ListItem::new).collect();
    let title = if items.is_empty() {
        " Alerts: none ".to_string()
    } else {
        format!(" Alerts ({}) ", items.len())
    };
    frame.render_widget(
        List::new(items).block(Block::bordered().title(title)),
        alerts_area,
    );
}

fn draw_lanes(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let wide = area.width >= 100;
    let lines: Vec<Line<'_>> = app
        .snapshot
        .lanes
        .iter()
        .map(|lane| lane_line(lane, wide, app.now))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Lanes ")),
        area,
    );
}

fn lane_line(lane: &LaneView, wide: bool, now: DateTime<Utc>) -> Line<'static> {
    let (gate_text, gate_style) = match (lane.gate.online, lane.gate.position) {
        (None, _) => ("no gate", style::dim()),
        (Some(false), _) => ("OFFLINE", style::bad()),
        (_, _) if lane.gate.held => ("▲ HELD", style::warn()),
        (_, GatePosition::Open) => ("▲ open", style::warn()),
        (_, GatePosition::Closed) => ("▼ closed", style::good()),
        (_, GatePosition::Unknown) => ("? gate", style::dim()),
    };
    let dir = match lane.direction {
        Direction::Entrance => "IN ",
        Direction::Exit => "OUT",
    };
    let mut spans = vec![
        Span::styled(format!("{:<7}", lane.id), style::title()),
        Span::raw(format!("{dir} ")),
    ];
    if wide {
        spans.push(Span::raw(format!("{:<18}", truncate(&lane.name, 17))));
    }
    spans.push(Span::styled(format!("{gate_text:<9}"), gate_style));
    spans.push(if lane.gate.presence {
        Span::styled("car ", style::warn())
    } else {
        Span::raw("    ")
    });
    for (label, state) in [
        ("scan", lane.scanner_online),
        ("gate", lane.gate.online),
        ("prn", lane.printer_online),
    ] {
        let (dot, st) = style::online(state);
        spans.push(Span::raw(label));
        spans.push(Span::styled(format!("{dot} "), st));
    }
    if let Some(due) = &lane.awaiting_payment {
        spans.push(Span::styled(
            format!(
                " PAY {} {} #{:06}",
                due.quote.total, due.currency, due.ticket_no
            ),
            style::money(),
        ));
    } else if let Some(held) = lane
        .held_validation
        .as_ref()
        .filter(|h| now.signed_duration_since(h.at) <= crate::booth::VALIDATION_HOLD)
    {
        // A shop's validation waiting for the ticket or code it is for.
        spans.push(Span::styled(
            format!(" VALIDATED {} ({})", held.code.shop, held.code.grant),
            style::money(),
        ));
    } else if !lane.pending.is_empty() {
        spans.push(Span::styled(
            format!(" waiting for {} vehicle(s)", lane.pending.len()),
            style::warn(),
        ));
    }
    if let Some(fault) = &lane.gate.last_fault {
        spans.push(Span::styled(format!(" fault {fault}"), style::bad()));
    }
    Line::from(spans)
}

fn draw_activity(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let tz = app.config.timezone;
    let rows = area.height.saturating_sub(2) as usize;
    let items: Vec<ListItem<'_>> = app
        .activity
        .iter()
        .take(rows)
        .map(|a| {
            let time = super::local(a.at, tz).format("%H:%M:%S").to_string();
            let (mark, st) = mark(a);
            ListItem::new(Line::from(vec![
                Span::styled(format!("{time} "), style::dim()),
                Span::styled(format!("{mark} "), st),
                Span::raw(describe(a)),
            ]))
        })
        .collect();
    frame.render_widget(
        List::new(items).block(Block::bordered().title(" Activity ")),
        area,
    );
}

/// A symbol and colour for an activity: ✔ done, ✖ refused, ! needs attention.
fn mark(a: &Activity) -> (&'static str, Style) {
    match &a.kind {
        ActivityKind::Scan { decided, .. } => match &decided.outcome {
            ScanOutcome::Refused(_) => ("✖", style::bad()),
            ScanOutcome::AwaitingPayment { .. } => ("$", style::money()),
            _ => ("✔", style::good()),
        },
        _ if a.is_alert() => ("!", style::warn()),
        _ => ("·", style::dim()),
    }
}

/// One line per activity, shorter than the log's: the screen is narrow.
fn describe(a: &Activity) -> String {
    let lane = a.lane.as_deref().unwrap_or("booth");
    match &a.kind {
        ActivityKind::Scan { decided, code, .. } => {
            let who = decided.holder_text().unwrap_or_else(|| code.clone());
            match &decided.outcome {
                ScanOutcome::Entered { retry: false, .. } => format!("{lane} in  {who}"),
                ScanOutcome::Entered { retry: true, .. } => format!("{lane} in again {who}"),
                ScanOutcome::Exited {
                    quote,
                    session,
                    retry: false,
                } => format!(
                    "{lane} out {who} {} min {} {}",
                    quote.billed_minutes, quote.total, session.currency
                ),
                ScanOutcome::Exited { retry: true, .. } => format!("{lane} out again {who}"),
                ScanOutcome::AwaitingPayment { quote, session } => {
                    format!("{lane} pay {} {} {who}", quote.total, session.currency)
                }
                ScanOutcome::ValidationHeld { shop, grant } => {
                    format!("{lane} validated {shop} {grant}")
                }
                ScanOutcome::Refused(r) => format!("{lane} {} {who}", r.code()),
            }
        }
        _ => a.to_string(),
    }
}

fn draw_revenue(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let rev = &app.snapshot.revenue_today;
    let mut lines: Vec<Line<'_>> = rev
        .by_method
        .iter()
        .map(|(method, count, sum)| {
            Line::from(vec![
                Span::raw(format!("{:<8}{count:>4}  ", method.as_str())),
                Span::styled(format!("{sum:>10.2} {}", rev.currency), style::money()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("no receipts yet", style::dim()));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Revenue today ")),
        area,
    );
}

/// The bay sensors: the broker link, free and taken, overstays, and each group's count.
fn bay_lines(app: &App) -> Vec<Line<'static>> {
    let Some(nwave) = &app.snapshot.nwave else {
        return vec![Line::styled("no parking sensors", style::dim())];
    };
    let (link, link_style) = link_text(&nwave.link, app.now);
    let age = nwave
        .last_message_at
        .map(|t| match (app.now - t).num_seconds().max(0) {
            s if s < 60 => format!(" · {s} s ago"),
            s => format!(" · {} ago", super::short_duration(s)),
        })
        .unwrap_or_default();
    let total = &nwave.occupancy.total;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(link, link_style),
            Span::styled(age, style::dim()),
        ]),
        Line::from(vec![
            Span::raw(format!(
                "free {} taken {}/{} ",
                total.free, total.taken, total.positions
            )),
            Span::styled(format!("◆{}", total.overstay_certain), style::bad()),
            Span::styled(format!(" ◇{}", total.overstay_possible), style::warn()),
        ]),
    ];
    for g in &nwave.occupancy.groups {
        let name = g
            .name
            .clone()
            .or(g.custom_id.clone())
            .or(g.id.map(|id| format!("group {id}")))
            .unwrap_or_else(|| "no group".into());
        let mut spans = vec![Span::raw(format!(
            "{:<14} {:>4}/{:<4}",
            truncate(&name, 14),
            g.counts.taken,
            g.counts.positions
        ))];
        if g.counts.overstay_certain > 0 {
            spans.push(Span::styled(
                format!(" ◆{}", g.counts.overstay_certain),
                style::bad(),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// The broker link as one short phrase.
fn link_text(link: &NwaveLink, now: chrono::DateTime<chrono::Utc>) -> (String, Style) {
    match link {
        NwaveLink::Connected { .. } => ("broker connected".into(), style::good()),
        NwaveLink::Simulated => ("simulated sensors".into(), style::dim()),
        NwaveLink::Connecting { attempt: 0 } => ("connecting to broker".into(), style::warn()),
        NwaveLink::Connecting { attempt } => {
            (format!("connecting (try {})", attempt + 1), style::warn())
        }
        NwaveLink::Reconnecting {
            retry_at: Some(at), ..
        } => (
            format!(
                "broker down, retry in {} s",
                (*at - now).num_seconds().max(0)
            ),
            style::bad(),
        ),
        NwaveLink::Reconnecting { .. } => ("broker down, reconnecting".into(), style::bad()),
        NwaveLink::Stopped => ("broker link stopped".into(), style::bad()),
    }
}

/// What needs the attendant now: devices down, faults, waiting payments, a full car park,
/// recent refusals and timeouts.
pub fn alerts(app: &App) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for lane in &app.snapshot.lanes {
        for (what, state) in [
            ("gate", lane.gate.online),
            ("scanner", lane.scanner_online),
            ("printer", lane.printer_online),
        ] {
            if state == Some(false) {
                out.push(Line::styled(
                    format!("{} {what} offline", lane.id),
                    style::bad(),
                ));
            }
        }
        if let Some(fault) = &lane.gate.last_fault {
            out.push(Line::styled(
                format!("{} gate fault {fault}", lane.id),
                style::bad(),
            ));
        }
        if let Some(due) = &lane.awaiting_payment {
            out.push(Line::styled(
                format!(
                    "{} waiting to pay {} {}",
                    lane.id, due.quote.total, due.currency
                ),
                style::money(),
            ));
        }
    }
    if let Some(nwave) = &app.snapshot.nwave {
        if matches!(
            nwave.link,
            NwaveLink::Reconnecting { .. } | NwaveLink::Stopped
        ) {
            out.push(Line::styled(
                format!("Nwave {}", link_text(&nwave.link, app.now).0),
                style::bad(),
            ));
        }
        let over = nwave.occupancy.total;
        if over.overstay_certain > 0 {
            out.push(Line::styled(
                format!("{} bay(s) overstaying", over.overstay_certain),
                style::bad(),
            ));
        }
        if over.overstay_possible > 0 {
            out.push(Line::styled(
                format!("{} bay(s) maybe overstaying", over.overstay_possible),
                style::warn(),
            ));
        }
    }
    if let Some(cap) = app.snapshot.capacity
        && app.snapshot.occupied >= cap
    {
        out.push(Line::styled(format!("car park full ({cap})"), style::bad()));
    }
    let recent = app
        .activity
        .iter()
        .filter(|a| (app.now - a.at).num_minutes() < ALERT_MINUTES && a.is_alert())
        .filter(|a| !matches!(a.kind, ActivityKind::Device { .. }))
        .take(12);
    for a in recent {
        out.push(Line::styled(
            format!(
                "{} {}",
                super::local(a.at, app.config.timezone).format("%H:%M"),
                truncate(&describe(a), 60)
            ),
            style::warn(),
        ));
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}
