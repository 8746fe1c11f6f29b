//! Validation of scanned codes (docs/contracts.md §5), before any lookup: at most 512 bytes, printable
//! UTF-8, no control characters. Anything else is refused with a reason the attendant can read.

use std::fmt;

/// The longest code the booth accepts, in bytes. QR codes printed by the booth are ~40 bytes.
pub const MAX_CODE_BYTES: usize = 512;

/// A scanned code that passed validation: safe to look up, log and show on screen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanCode(String);

impl ScanCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A shortened form for logs and the screen: enough to recognise a code, not to copy it.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for ScanCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a code was refused before lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCode {
    #[error("the code is empty")]
    Empty,
    #[error("the code is {len} bytes long; at most {MAX_CODE_BYTES} are accepted")]
    TooLong { len: usize },
    #[error("the code is not valid UTF-8 text")]
    NotUtf8,
    #[error("the code holds a control character (U+{code:04X}) at byte {at}")]
    ControlCharacter { code: u32, at: usize },
    #[error("the code holds an invisible formatting character (U+{code:04X}) at byte {at}")]
    FormattingCharacter { code: u32, at: usize },
}

/// Validates raw scanner bytes. Surrounding spaces are dropped (scanners and people pad codes);
/// the length is checked first so that a 10 MB line costs nothing more than its length.
pub fn validate(raw: &[u8]) -> Result<ScanCode, InvalidCode> {
    if raw.len() > MAX_CODE_BYTES {
        return Err(InvalidCode::TooLong { len: raw.len() });
    }
    let text = std::str::from_utf8(raw).map_err(|_| InvalidCode::NotUtf8)?;
    validate_str(text)
}

/// Validates a code that is already text (keyboard wedge, HTTP body).
pub fn validate_str(text: &str) -> Result<ScanCode, InvalidCode> {
    if text.len() > MAX_CODE_BYTES {
        return Err(InvalidCode::TooLong { len: text.len() });
    }
    for (at, ch) in text.char_indices() {
        if ch.is_control() {
            return Err(InvalidCode::ControlCharacter {
                code: u32::from(ch),
                at,
            });
        }
        if is_invisible_format(ch) {
            return Err(InvalidCode::FormattingCharacter {
                code: u32::from(ch),
                at,
            });
        }
    }
    let trimmed = text.trim_matches(' ');
    if trimmed.is_empty() {
        return Err(InvalidCode::Empty);
    }
    Ok(ScanCode(trimmed.to_owned()))
}

/// Zero-width and bidirectional controls: printable by Unicode's letter, but they hide or reorder
/// text on the attendant's screen, so a code holding one is refused.
fn is_invisible_format(ch: char) -> bool {
    matches!(ch,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

/// Shows the first and last characters of a code, the middle replaced: `7888…6635`.
pub fn mask(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 8 {
        return code.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_reference_codes() {
        assert_eq!(
            validate(b"788879fbe6635").unwrap().as_str(),
            "788879fbe6635"
        );
        let guid = "d1bddb81-2c27-4b93-b79f-5d1e5576eb78";
        assert_eq!(validate_str(guid).unwrap().as_str(), guid);
    }

    #[test]
    fn trims_padding_spaces() {
        assert_eq!(validate(b"  ABC-1 ").unwrap().as_str(), "ABC-1");
    }

    #[test]
    fn accepts_printable_unicode() {
        assert_eq!(validate_str("Aşgabat-ýol").unwrap().as_str(), "Aşgabat-ýol");
    }

    #[test]
    fn refuses_empty_and_blank() {
        assert_eq!(validate(b""), Err(InvalidCode::Empty));
        assert_eq!(validate(b"   "), Err(InvalidCode::Empty));
    }

    #[test]
    fn refuses_long_codes_by_length_first() {
        let long = vec![b'A'; MAX_CODE_BYTES + 1];
        assert_eq!(validate(&long), Err(InvalidCode::TooLong { len: 513 }));
        assert!(validate(&vec![b'A'; MAX_CODE_BYTES]).is_ok());
        let huge = vec![0xFF_u8; 10 * 1024 * 1024];
        assert_eq!(
            validate(&huge),
            Err(InvalidCode::TooLong { len: huge.len() })
        );
    }

    #[test]
    fn refuses_invalid_utf8() {
        assert_eq!(validate(&[0x41, 0xC3, 0x28]), Err(InvalidCode::NotUtf8));
    }

    #[test]
    fn refuses_control_characters_including_escape_sequences() {
        assert_eq!(
            validate(b"ab\x1b[2Jcd"),
            Err(InvalidCode::ControlCharacter { code: 0x1b, at: 2 })
        );
        assert!(matches!(
            validate(b"a\tb"),
            Err(InvalidCode::ControlCharacter { code: 9, .. })
        ));
        assert!(matches!(
            validate(b"ab\r"),
            Err(InvalidCode::ControlCharacter { code: 13, .. })
        ));
        assert!(matches!(
            validate_str("a\u{0085}b"),
            Err(InvalidCode::ControlCharacter { code: 0x85, .. })
        ));
    }

    #[test]
    fn refuses_bidi_and_zero_width() {
        assert!(matches!(
            validate_str("abc\u{202E}fed"),
            Err(InvalidCode::FormattingCharacter { code: 0x202E, .. })
        ));
        assert!(matches!(
            validate_str("a\u{200B}b"),
            Err(InvalidCode::FormattingCharacter { .. })
        ));
    }

    #[test]
    fn sql_and_shell_text_is_just_a_code() {
        // Valid text: it is looked up with bound parameters and simply not found.
        assert!(validate_str("'; DROP TABLE tbl_dk_device; --").is_ok());
        assert!(validate_str("$(rm -rf /)").is_ok());
    }

    #[test]
    fn masks_long_codes() {
        assert_eq!(mask("788879fbe6635"), "7888…6635");
        assert_eq!(mask("short"), "short");
    }
}
