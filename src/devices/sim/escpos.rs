//! Reads ESC/POS back into what a printed page would show: text lines, QR codes, cuts. The
//! simulated printer prints this summary for each job; unknown commands are counted, not fatal.

/// What a job would put on paper.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Printout {
    pub lines: Vec<String>,
    /// The data of each QR code printed.
    pub qr_codes: Vec<String>,
    pub cuts: usize,
    /// Escape sequences this reader does not know (skipped).
    pub unknown: usize,
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const LF: u8 = 0x0A;

/// Decodes a job's bytes. Never panics; a truncated command ends the reading.
pub fn read(bytes: &[u8]) -> Printout {
    let mut p = Printout::default();
    let mut text: Vec<u8> = Vec::new();
    let mut stored_qr: Option<String> = None;
    let mut i = 0;
    let at = |i: usize| bytes.get(i).copied();
    while let Some(b) = at(i) {
        match b {
            LF => {
                p.lines.push(String::from_utf8_lossy(&text).into_owned());
                text.clear();
                i += 1;
            }
            b'\r' => i += 1,
            ESC => {
                i += match at(i + 1) {
                    Some(b'@' | b'2') => 2,
                    Some(b'd') => {
                        // Print the buffer and feed n lines: the text's line is the first.
                        let mut n = at(i + 2).unwrap_or(0);
                        if !text.is_empty() {
                            p.lines.push(String::from_utf8_lossy(&text).into_owned());
                            text.clear();
                            n = n.saturating_sub(1);
                        }
                        p.lines.extend((0..n).map(|_| String::new()));
                        3
                    }
                    Some(
                        b'a' | b'E' | b'-' | b'G' | b'M' | b'V' | b'{' | b't' | b'R' | b'!' | b'3'
                        | b'J',
                    ) => 3,
                    Some(b'p') => 5,
                    _ => {
                        p.unknown += 1;
                        2
                    }
                };
            }
            GS => match at(i + 1) {
                Some(b'V') => {
                    p.cuts += 1;
                    i += match at(i + 2) {
                        Some(65 | 66 | 97 | 98) => 4,
                        _ => 3,
                    };
                }
                Some(b'!' | b'B' | b'b' | b'H' | b'f' | b'h' | b'w') => i += 3,
                Some(b'(') => {
                    let len = usize::from(at(i + 3).unwrap_or(0))
                        + 256 * usize::from(at(i + 4).unwrap_or(0));
                    let start = (i + 5).min(bytes.len());
                    let end = (start + len).min(bytes.len());
                    let params = &bytes[start..end];
                    if at(i + 2) == Some(b'k') {
                        match params {
                            [49, 80, 48, data @ ..] => {
                                stored_qr = Some(String::from_utf8_lossy(data).into_owned());
                            }
                            [49, 81, 48] => p.qr_codes.extend(stored_qr.clone()),
                            _ => {}
                        }
                    }
                    i = end;
                }
                _ => {
                    p.unknown += 1;
                    i += 2;
                }
            },
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        p.lines.push(String::from_utf8_lossy(&text).into_owned());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::receipt::{Document, Line};

    #[test]
    fn reads_back_what_the_printer_module_renders() {
        let doc = Document {
            lines: vec![
                Line::Title("Central".into()),
                Line::Total {
                    label: "TOTAL".into(),
                    value: "0.40 TMT".into(),
                },
                Line::Qr("7d0f6c1e-0000-4000-8000-000000000042".into()),
            ],
        };
        let bytes = crate::devices::printer::render(&doc).unwrap();
        let p = read(&bytes);
        assert_eq!(p.lines[0], "Central");
        assert!(p.lines[1].starts_with("TOTAL") && p.lines[1].ends_with("0.40 TMT"));
        assert_eq!(p.qr_codes, ["7d0f6c1e-0000-4000-8000-000000000042"]);
        assert_eq!((p.cuts, p.unknown), (1, 0));
    }

    #[test]
    fn garbage_and_truncation_do_not_panic() {
        for bytes in [
            &[0x1D, b'(', b'k', 0xFF, 0xFF][..],
            &[0x1B],
            &[0x1D],
            b"abc\x1b",
        ] {
            let _ = read(bytes);
        }
    }
}
