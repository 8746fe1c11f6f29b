//! Scanned codes on any bytes (docs/contracts.md §5): validation never panics; an accepted code is
//! checked again here, independently, against the contract (at most 512 bytes, UTF-8, no
//! control or invisible formatting character, no surrounding spaces, not empty); validating an
//! accepted code again gives it back unchanged; the text and byte entry points agree; the
//! repeat filter takes the same code again at once as one scan; masking never panics.
#![no_main]

use clearpark::domain::qr::{self, InvalidCode, MAX_CODE_BYTES};
use clearpark::domain::repeat::RepeatFilter;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

/// The contract's rules, written out again rather than taken from the library.
fn acceptable(code: &str) -> bool {
    let invisible = |c: char| {
        matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    };
    !code.is_empty()
        && code.len() <= MAX_CODE_BYTES
        && !code.starts_with(' ')
        && !code.ends_with(' ')
        && code.chars().all(|c| !c.is_control() && !invisible(c))
}

fuzz_target!(|data: &[u8]| {
    let by_bytes = qr::validate(data);
    match &by_bytes {
        Ok(code) => {
            let text = code.as_str();
            assert!(
                acceptable(text),
                "accepted a code the contract refuses: {text:?}"
            );
            // The accepted code is the input without its padding spaces, nothing else.
            let raw = std::str::from_utf8(data).expect("accepted bytes are UTF-8");
            assert_eq!(text, raw.trim_matches(' '));
            // Validating an accepted code again changes nothing.
            assert_eq!(qr::validate(text.as_bytes()).as_ref(), Ok(code));
            assert_eq!(qr::validate_str(text).as_ref(), Ok(code));
            assert_eq!(code.to_string(), text);
            let masked = code.masked();
            if text.chars().count() <= 8 {
                assert_eq!(masked, text);
            } else {
                assert_eq!(masked.chars().count(), 9);
                assert!(masked.contains('…'));
            }
        }
        Err(InvalidCode::TooLong { len }) => {
            assert_eq!(*len, data.len());
            assert!(data.len() > MAX_CODE_BYTES);
        }
        Err(InvalidCode::NotUtf8) => assert!(std::str::from_utf8(data).is_err()),
        Err(InvalidCode::Empty) => {
            assert!(data.iter().all(|&b| b == b' '));
        }
        Err(InvalidCode::ControlCharacter { code, at })
        | Err(InvalidCode::FormattingCharacter { code, at }) => {
            let text = std::str::from_utf8(data).expect("a character was found, so UTF-8");
            let ch = text[*at..]
                .chars()
                .next()
                .expect("the position is a character");
            assert_eq!(u32::from(ch), *code);
        }
    }
    // A refused code's reason is a sentence the attendant can read.
    if let Err(why) = &by_bytes {
        let line = why.to_string();
        assert!(!line.is_empty() && !line.contains('\n'));
    }
    // Text in, the same verdict as its bytes.
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(qr::validate_str(text), by_bytes);
    } else {
        // Lossy text never panics either, and what it accepts follows the contract.
        let lossy = String::from_utf8_lossy(data);
        if let Ok(code) = qr::validate_str(&lossy) {
            assert!(acceptable(code.as_str()));
        }
    }
    // The same reading again at once is one scan; after the window it is a new one.
    let t = Instant::now();
    let mut filter = RepeatFilter::default();
    assert!(filter.admit(data, t));
    assert!(!filter.admit(data, t + Duration::from_millis(1500)));
    assert!(filter.admit(data, t + Duration::from_secs(10)));
    let _ = qr::mask(&String::from_utf8_lossy(data));
});
