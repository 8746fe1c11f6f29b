//! Telling a keyboard-wedge scanner from a person at the keyboard.
//!
//! A wedge scanner "types" a whole code in a few milliseconds and ends it with Enter; a person
//! needs 80 ms or more between keys. A printable key is therefore held back for a short window:
//! when more keys follow within it and the burst ends with Enter, the burst is a scan; when the
//! window passes, the held keys are ordinary key presses.

use crate::domain::repeat::RepeatFilter;
use std::time::{Duration, Instant};

/// Keys closer than this belong to one scanner burst (scanners: 1–15 ms, people: 80+ ms).
pub const BURST_GAP: Duration = Duration::from_millis(35);
/// Shorter bursts are typed keys that happened to be quick (a code is longer than this).
pub const MIN_CODE_CHARS: usize = 4;

/// What the detector made of the input so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wedge {
    /// Keys to handle as the attendant's key presses, in order.
    Keys(Vec<char>),
    /// A scanner typed this code.
    Scan(String),
}

#[derive(Debug, Default)]
pub struct WedgeDetector {
    held: Vec<char>,
    last: Option<Instant>,
    /// docs/contracts.md §5: the same code again within 2 s is one scan (the serial scanners' rule).
    repeats: RepeatFilter,
}

impl WedgeDetector {
    /// A printable key arrived at `at`. Returns keys released because the burst broke off.
    pub fn key(&mut self, ch: char, at: Instant) -> Option<Wedge> {
        let released = match self.last {
            Some(last) if at.saturating_duration_since(last) > BURST_GAP => self.release(),
            _ => None,
        };
        self.held.push(ch);
        self.last = Some(at);
        released
    }

    /// Enter arrived at `at`: a scan if it ends a fast burst long enough to be a code; otherwise
    /// the held keys are released and Enter is the attendant's (returned as `'\n'`).
    pub fn enter(&mut self, at: Instant) -> Wedge {
        let in_burst = self
            .last
            .is_some_and(|last| at.saturating_duration_since(last) <= BURST_GAP);
        if in_burst && self.held.len() >= MIN_CODE_CHARS {
            self.last = None;
            let code: String = self.held.drain(..).collect();
            if !self.repeats.admit(code.as_bytes(), at) {
                // A repeat within 2 s: swallowed, neither a scan nor keys.
                return Wedge::Keys(Vec::new());
            }
            return Wedge::Scan(code);
        }
        let mut keys = match self.release() {
            Some(Wedge::Keys(k)) => k,
            _ => Vec::new(),
        };
        keys.push('\n');
        Wedge::Keys(keys)
    }

    /// Called on every tick: releases held keys once the burst window has passed.
    pub fn poll(&mut self, now: Instant) -> Option<Wedge> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) > BURST_GAP => self.release(),
            _ => None,
        }
    }

    /// Whether keys are being held back (the loop should poll soon).
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    fn release(&mut self) -> Option<Wedge> {
        self.last = None;
        (!self.held.is_empty()).then(|| Wedge::Keys(self.held.drain(..).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(base: Instant, n: u64) -> Instant {
        base + Duration::from_millis(n)
    }

    #[test]
    fn a_fast_burst_ending_in_enter_is_a_scan() {
        let t = Instant::now();
        let mut w = WedgeDetector::default();
        for (i, ch) in "788879fbe6635".chars().enumerate() {
            assert_eq!(w.key(ch, ms(t, i as u64 * 3)), None);
        }
        assert_eq!(w.enter(ms(t, 40)), Wedge::Scan("788879fbe6635".into()));
        assert!(!w.holding());
    }

    #[test]
    fn the_same_code_again_within_2_s_is_one_scan() {
        let t = Instant::now();
        let mut w = WedgeDetector::default();
        let mut scan = |at: u64| {
            for (i, ch) in "CODE-1".chars().enumerate() {
                w.key(ch, ms(t, at + i as u64));
            }
            w.enter(ms(t, at + 10))
        };
        assert_eq!(scan(0), Wedge::Scan("CODE-1".into()));
        assert_eq!(scan(500), Wedge::Keys(Vec::new()));
        assert_eq!(scan(3000), Wedge::Scan("CODE-1".into()));
    }

    #[test]
    fn a_person_typing_gets_keys() {
        let t = Instant::now();
        let mut w = WedgeDetector::default();
        assert_eq!(w.key('t', t), None);
        assert_eq!(w.poll(ms(t, 10)), None, "still inside the window");
        assert_eq!(w.poll(ms(t, 50)), Some(Wedge::Keys(vec!['t'])));
        assert_eq!(w.key('y', ms(t, 200)), None);
        assert_eq!(w.key('n', ms(t, 400)), Some(Wedge::Keys(vec!['y'])));
        assert_eq!(w.enter(ms(t, 600)), Wedge::Keys(vec!['n', '\n']));
    }

    #[test]
    fn a_short_fast_burst_is_still_keys() {
        let t = Instant::now();
        let mut w = WedgeDetector::default();
        w.key('o', t);
        w.key('k', ms(t, 5));
        assert_eq!(w.enter(ms(t, 8)), Wedge::Keys(vec!['o', 'k', '\n']));
    }
}
