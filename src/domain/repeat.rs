//! Repeated scans (docs/contracts.md §5): the same code scanned again on the same lane within 2 s is
//! one scan. Scanners in continuous mode read a code held in front of them several times a
//! second; each reading would otherwise open the barrier for one more vehicle.
//!
//! The window slides: each repeat counts from the previous reading, so a phone held at the
//! scanner for ten seconds is still one scan. Only the last code is remembered (a lane has one
//! scanner and one vehicle at a time), so memory stays constant. One filter per lane; used by
//! every reader of a lane (serial scanner, keyboard wedge).

use super::qr;
use std::time::{Duration, Instant};

/// Readings of the same code closer together than this are one scan.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct RepeatFilter {
    window: Duration,
    last: Option<(Vec<u8>, Instant)>,
}

impl Default for RepeatFilter {
    fn default() -> Self {
        RepeatFilter::new(REPEAT_WINDOW)
    }
}

impl RepeatFilter {
    pub fn new(window: Duration) -> RepeatFilter {
        RepeatFilter { window, last: None }
    }

    /// Whether a reading of `code` at `now` is a new scan (true) or a repeat (false). A repeat
    /// is judged on the code the booth will see when it is valid (padding spaces do not make a
    /// new scan), on the raw bytes otherwise.
    pub fn admit(&mut self, code: &[u8], now: Instant) -> bool {
        let key = match qr::validate(code) {
            Ok(valid) => valid.as_str().as_bytes().to_vec(),
            Err(_) => code.to_vec(),
        };
        match &mut self.last {
            Some((last, at)) if *last == key => {
                let repeat = now.saturating_duration_since(*at) < self.window;
                *at = now;
                !repeat
            }
            _ => {
                self.last = Some((key, now));
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_code_within_the_window_is_one_scan() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut f = RepeatFilter::default();
        assert!(f.admit(b"ABC", ms(0)));
        assert!(!f.admit(b"ABC", ms(300)));
        assert!(!f.admit(b"ABC", ms(2200)), "slides from the last reading");
        assert!(f.admit(b"ABC", ms(4300)), "2.1 s after the last reading");
    }

    #[test]
    fn another_code_is_a_new_scan_and_resets() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut f = RepeatFilter::default();
        assert!(f.admit(b"ABC", ms(0)));
        assert!(f.admit(b"XYZ", ms(100)));
        assert!(f.admit(b"ABC", ms(200)));
    }

    #[test]
    fn padding_does_not_make_a_new_scan_and_invalid_codes_repeat_too() {
        let t = Instant::now();
        let mut f = RepeatFilter::default();
        assert!(f.admit(b"ABC", t));
        assert!(!f.admit(b" ABC ", t));
        assert!(f.admit(b"A\x1bB", t));
        assert!(!f.admit(b"A\x1bB", t));
    }

    #[test]
    fn exactly_the_window_apart_is_a_new_scan() {
        let t = Instant::now();
        let mut f = RepeatFilter::default();
        assert!(f.admit(b"A", t));
        assert!(f.admit(b"A", t + REPEAT_WINDOW));
    }
}
