//! The occupancy summary: free, taken and overstaying per group, zone and level, as the screen
//! and the API show it.

use super::message::Group;
use super::occupancy::{Board, GroupKey, GroupLimits, Overstay, OverstayLimits};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Free, taken and overstaying in one area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub positions: u32,
    pub taken: u32,
    pub free: u32,
    /// Sessions holding a position here.
    pub overstay_certain: u32,
    pub overstay_possible: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    pub id: Option<i64>,
    pub custom_id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub zone_id: Option<i64>,
    pub level_id: Option<i64>,
    pub max_stay_minutes: Option<u32>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneCount {
    pub zone_id: Option<i64>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    pub level_id: Option<i64>,
    pub level_name: Option<String>,
    pub floor_number: Option<i64>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The whole site at one moment: totals and per group, zone and level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OccupancySummary {
    pub at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub total: Counts,
    pub groups: Vec<GroupCount>,
    pub zones: Vec<ZoneCount>,
    pub levels: Vec<LevelCount>,
}

impl Board {
    /// Totals and per-area counts at `now`.
    pub fn summary(&self, now: DateTime<Utc>, limits: &OverstayLimits) -> OccupancySummary {
        let stays = self.stays_by_ref(now, limits);
        let mut limit_of = GroupLimits::new(limits);
        let no_group = Group::default();
        let mut total = Tally::default();
        let mut groups: BTreeMap<GroupKey, (&Group, Tally)> = BTreeMap::new();
        let mut zones: BTreeMap<Option<i64>, Tally> = BTreeMap::new();
        let mut levels: BTreeMap<Option<i64>, (&Group, Tally)> = BTreeMap::new();
        for p in self.positions() {
            let stay = p
                .taken
                .then(|| stays.get_key_value(p.session_uuid.as_str()))
                .flatten()
                .map(|(uuid, (_, o))| (*uuid, *o));
            total.add(p.taken, stay);
            let g = p.group().unwrap_or(&no_group);
            groups
                .entry((g.id, g.custom_id.as_deref()))
                .or_insert_with(|| (g, Tally::default()))
                .1
                .add(p.taken, stay);
            zones.entry(g.zone_id).or_default().add(p.taken, stay);
            levels
                .entry(g.level_id)
                .or_insert_with(|| (g, Tally::default()))
                .1
                .add(p.taken, stay);
        }
        OccupancySummary {
            at: Some(now),
            total: total.counts(),
            groups: groups
                .into_values()
                .map(|(g, t)| GroupCount {
                    id: g.id,
                    custom_id: g.custom_id.clone(),
                    name: g.name.clone(),
                    kind: g.kind.clone(),
                    zone_id: g.zone_id,
                    level_id: g.level_id,
                    max_stay_minutes: limit_of.get(Some(g)),
                    counts: t.counts(),
                })
                .collect(),
            zones: zones
                .into_iter()
                .map(|(zone_id, t)| ZoneCount {
                    zone_id,
                    counts: t.counts(),
                })
                .collect(),
            levels: levels
                .into_values()
                .map(|(g, t)| LevelCount {
                    level_id: g.level_id,
                    level_name: g.level_name.clone(),
                    floor_number: g.floor_number,
                    counts: t.counts(),
                })
                .collect(),
        }
    }
}

/// Counts positions, and overstaying sessions once per area however many bays they hold.
#[derive(Debug, Default)]
struct Tally<'b> {
    positions: u32,
    taken: u32,
    certain: HashSet<&'b str>,
    possible: HashSet<&'b str>,
}

impl<'b> Tally<'b> {
    fn add(&mut self, taken: bool, stay: Option<(&'b str, Overstay)>) {
        self.positions += 1;
        if taken {
            self.taken += 1;
        }
        match stay {
            Some((uuid, Overstay::Certain)) => {
                self.certain.insert(uuid);
            }
            Some((uuid, Overstay::Possible)) => {
                self.possible.insert(uuid);
            }
            _ => {}
        }
    }

    fn counts(&self) -> Counts {
        let n = |s: &HashSet<&str>| u32::try_from(s.len()).unwrap_or(u32::MAX);
        Counts {
            positions: self.positions,
            taken: self.taken,
            free: self.positions - self.taken,
            overstay_certain: n(&self.certain),
            overstay_possible: n(&self.possible),
        }
    }
}
