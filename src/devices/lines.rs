//! Splitting a serial byte stream into lines, for the gate link and the scanner: pure, with a
//! hard bound on what it keeps, so that no input — partial reads, garbage, a line that never
//! ends — grows memory or panics.

/// What ends a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// `\n` only; a `\r` before it stays in the line (the gate protocol strips it when checking).
    Lf,
    /// `\r`, `\n` or `\r\n` (one line end, not an empty line): what scanners send.
    CrOrLf,
}

/// One line taken from the stream, without its line end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Line(Vec<u8>),
    /// A line longer than the limit, discarded up to its line end. `head` holds its first
    /// `limit + 1` bytes (enough to show it is too long); `len` counts all of them (saturating).
    Overlong {
        head: Vec<u8>,
        len: usize,
    },
}

/// A streaming line splitter. Memory never exceeds `limit + 1` bytes.
#[derive(Debug, Clone)]
pub struct LineSplitter {
    end: LineEnd,
    limit: usize,
    buf: Vec<u8>,
    /// Bytes of the current line beyond what `buf` keeps, while discarding an overlong line.
    discarded: usize,
    /// The previous byte was a `\r` line end: a `\n` right after it ends nothing.
    after_cr: bool,
}

impl LineSplitter {
    /// Lines of at most `limit` bytes; longer ones come out as [`Piece::Overlong`].
    pub fn new(end: LineEnd, limit: usize) -> LineSplitter {
        LineSplitter {
            end,
            limit,
            buf: Vec::with_capacity(limit.min(1024) + 1),
            discarded: 0,
            after_cr: false,
        }
    }

    /// Feeds bytes as read; returns the lines they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Piece> {
        let mut out = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::take(&mut self.after_cr);
            match (self.end, b) {
                (_, b'\n') if after_cr => {}
                (_, b'\n') => out.push(self.finish()),
                (LineEnd::CrOrLf, b'\r') => {
                    out.push(self.finish());
                    self.after_cr = true;
                }
                _ => {
                    if self.buf.len() <= self.limit {
                        self.buf.push(b);
                    } else {
                        self.discarded = self.discarded.saturating_add(1);
                    }
                }
            }
        }
        out
    }

    /// Bytes of an unfinished line held (or counted) so far.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_add(self.discarded)
    }

    /// Forgets an unfinished line (the port was closed and opened again).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.discarded = 0;
        self.after_cr = false;
    }

    fn finish(&mut self) -> Piece {
        let len = self.pending();
        self.discarded = 0;
        if self.buf.len() > self.limit {
            let head = std::mem::replace(&mut self.buf, Vec::with_capacity(self.limit.min(1024)));
            Piece::Overlong { head, len }
        } else {
            Piece::Line(std::mem::take(&mut self.buf))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(end: LineEnd, limit: usize, chunks: &[&[u8]]) -> Vec<Piece> {
        let mut s = LineSplitter::new(end, limit);
        chunks.iter().flat_map(|c| s.push(c)).collect()
    }

    fn line(s: &str) -> Piece {
        Piece::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn cr_lf_and_crlf_each_end_one_line() {
        let got = lines(LineEnd::CrOrLf, 16, &[b"a\rb\nc\r\nd\r\n"]);
        assert_eq!(got, vec![line("a"), line("b"), line("c"), line("d")]);
    }

    #[test]
    fn crlf_split_across_reads_is_one_line_end() {
        let got = lines(LineEnd::CrOrLf, 16, &[b"abc\r", b"\ndef\r", b"\n"]);
        assert_eq!(got, vec![line("abc"), line("def")]);
    }

    #[test]
    fn empty_lines_are_lines() {
        let got = lines(LineEnd::CrOrLf, 16, &[b"\n\n\r\r\n"]);
        assert_eq!(got, vec![line(""), line(""), line(""), line("")]);
    }

    #[test]
    fn lf_mode_keeps_cr_in_the_line() {
        let got = lines(LineEnd::Lf, 16, &[b"AB\r\nC\rD\n"]);
        assert_eq!(got, vec![line("AB\r"), line("C\rD")]);
    }

    #[test]
    fn partial_lines_wait_for_their_end() {
        let mut s = LineSplitter::new(LineEnd::Lf, 16);
        assert!(s.push(b"OPE").is_empty());
        assert_eq!(s.pending(), 3);
        assert_eq!(s.push(b"N 1\nPI"), vec![line("OPEN 1")]);
        s.reset();
        assert_eq!(s.push(b"NG\n"), vec![line("NG")]);
    }

    #[test]
    fn overlong_lines_are_discarded_to_their_end_with_bounded_memory() {
        let mut s = LineSplitter::new(LineEnd::CrOrLf, 4);
        assert!(s.push(&[b'x'; 100_000]).is_empty());
        assert!(s.buf.len() <= 5);
        assert_eq!(
            s.push(b"\r\nok\n"),
            vec![
                Piece::Overlong {
                    head: b"xxxxx".to_vec(),
                    len: 100_000
                },
                line("ok")
            ]
        );
        // Exactly at the limit is still a line.
        assert_eq!(
            lines(LineEnd::Lf, 4, &[b"abcd\nabcde\n"]),
            vec![
                line("abcd"),
                Piece::Overlong {
                    head: b"abcde".to_vec(),
                    len: 5
                }
            ]
        );
    }
}
