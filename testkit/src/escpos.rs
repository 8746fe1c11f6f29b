//! A small, strict ESC/POS tokenizer for tests: it knows the commands a receipt needs and
//! panics on anything else, so a test sees exactly what the printer would get. Written apart
//! from the library's renderer (and its simulated printer's reader) on purpose.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// `ESC @`
    Init,
    /// Text up to a line end (`LF`, or `ESC d` which prints the buffer first).
    Line(String),
    /// `ESC d n`: feed n lines after printing the buffer.
    Feed(u8),
    /// `ESC a n`
    Justify(u8),
    /// `ESC E n`
    Bold(bool),
    /// `GS ! n`
    Size(u8),
    /// `GS ( k ... 49 65 n 0`: QR model (50 = Model 2).
    QrModel(u8),
    /// `GS ( k ... 49 67 n`
    QrModuleSize(u8),
    /// `GS ( k ... 49 69 n`
    QrErrorCorrection(u8),
    /// `GS ( k ... 49 80 48 data`: store the QR's data.
    QrStore(String),
    /// `GS ( k 3 0 49 81 48`: print the stored QR.
    QrPrint,
    /// `GS V A n` / `GS V m`
    Cut,
}

pub fn tokenize(bytes: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    let byte = |i: usize| -> u8 {
        *bytes
            .get(i)
            .unwrap_or_else(|| panic!("ESC/POS truncated at byte {i}"))
    };
    let flush = |text: &mut Vec<u8>, out: &mut Vec<Token>| {
        out.push(Token::Line(
            String::from_utf8(std::mem::take(text)).unwrap(),
        ));
    };
    while i < bytes.len() {
        match bytes[i] {
            0x0A => {
                flush(&mut text, &mut out);
                i += 1;
            }
            0x1B => {
                let (token, len) = match byte(i + 1) {
                    b'@' => (Token::Init, 2),
                    b'a' => (Token::Justify(byte(i + 2)), 3),
                    b'E' => (Token::Bold(byte(i + 2) != 0), 3),
                    b'd' => {
                        if !text.is_empty() {
                            flush(&mut text, &mut out);
                        }
                        (Token::Feed(byte(i + 2)), 3)
                    }
                    other => panic!("unknown ESC {other:#04x} at byte {i}"),
                };
                out.push(token);
                i += len;
            }
            0x1D => match byte(i + 1) {
                b'!' => {
                    out.push(Token::Size(byte(i + 2)));
                    i += 3;
                }
                b'V' => {
                    out.push(Token::Cut);
                    i += if matches!(byte(i + 2), b'A' | b'B') {
                        4
                    } else {
                        3
                    };
                }
                b'(' => {
                    assert_eq!(byte(i + 2), b'k', "GS ( {:#04x}", byte(i + 2));
                    let len = usize::from(byte(i + 3)) + 256 * usize::from(byte(i + 4));
                    let params = &bytes[i + 5..i + 5 + len];
                    out.push(match params {
                        [49, 65, n, 0] => Token::QrModel(*n),
                        [49, 67, n] => Token::QrModuleSize(*n),
                        [49, 69, n] => Token::QrErrorCorrection(*n),
                        [49, 80, 48, data @ ..] => {
                            Token::QrStore(String::from_utf8(data.to_vec()).unwrap())
                        }
                        [49, 81, 48] => Token::QrPrint,
                        other => panic!("unknown GS ( k {other:?}"),
                    });
                    i += 5 + len;
                }
                other => panic!("unknown GS {other:#04x} at byte {i}"),
            },
            b if b < 0x20 => panic!("unexpected control byte {b:#04x} at byte {i}"),
            b => {
                text.push(b);
                i += 1;
            }
        }
    }
    assert!(text.is_empty(), "text left unprinted: {text:?}");
    out
}

/// The printed text lines.
pub fn lines(tokens: &[Token]) -> Vec<&str> {
    tokens
        .iter()
        .filter_map(|t| match t {
            Token::Line(l) => Some(l.as_str()),
            _ => None,
        })
        .collect()
}

/// The data of each QR code printed (stored, then printed).
pub fn printed_qr_codes(tokens: &[Token]) -> Vec<String> {
    let mut stored = None;
    let mut printed = Vec::new();
    for t in tokens {
        match t {
            Token::QrStore(data) => stored = Some(data.clone()),
            Token::QrPrint => printed.push(stored.clone().expect("QR printed before stored")),
            _ => {}
        }
    }
    printed
}

/// Splits a stream of jobs at each cut (every job ends with one).
pub fn jobs(tokens: Vec<Token>) -> Vec<Vec<Token>> {
    let mut jobs = vec![Vec::new()];
    for t in tokens {
        let cut = t == Token::Cut;
        jobs.last_mut().unwrap().push(t);
        if cut {
            jobs.push(Vec::new());
        }
    }
    jobs.retain(|j| !j.is_empty());
    jobs
}
