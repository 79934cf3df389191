//! Binary-file detection, ported line for line from npm `isbinaryfile` 5.0.7 (what Backstage's
//! `fetch:template` uses to decide whether a skeleton file is copied verbatim): the first 512 bytes
//! (plus 3 for a UTF-8 sequence across the boundary) are inspected for NUL bytes, BOMs, `%PDF-`,
//! the share of non-text bytes, and protobuf-looking data.

const MAX_BYTES: usize = 512;
const UTF8_BOUNDARY_RESERVE: usize = 3;

/// How many first bytes [`is_binary`] looks at.
pub const HEAD: usize = MAX_BYTES + UTF8_BOUNDARY_RESERVE;

/// `isBinaryCheck` of isbinaryfile on the first bytes of a file.
pub fn is_binary(head: &[u8]) -> bool {
    let bytes_read = head.len();
    if bytes_read == 0 {
        return false;
    }
    let total = bytes_read.min(MAX_BYTES + UTF8_BOUNDARY_RESERVE);
    let scan = total.min(MAX_BYTES);
    let b = |i: usize| -> u8 { head.get(i).copied().unwrap_or(0) };
    if bytes_read >= 3 && head[..3] == [0xef, 0xbb, 0xbf] {
        return false; // UTF-8 BOM
    }
    if bytes_read >= 4 && head[..4] == [0x00, 0x00, 0xfe, 0xff] {
        return false; // UTF-32 BOM
    }
    if bytes_read >= 4 && head[..4] == [0xff, 0xfe, 0x00, 0x00] {
        return false; // UTF-32 LE BOM
    }
    if bytes_read >= 4 && head[..4] == [0x84, 0x31, 0x95, 0x33] {
        return false; // GB BOM
    }
    if total >= 5 && &head[..5] == b"%PDF-" {
        return true;
    }
    if bytes_read >= 2 && head[..2] == [0xfe, 0xff] {
        return false; // UTF-16 BE BOM
    }
    if bytes_read >= 2 && head[..2] == [0xff, 0xfe] {
        return false; // UTF-16 LE BOM
    }
    // Plain ASCII text (the usual skeleton file) has no byte the loop below counts: it would
    // end with no suspicious byte and answer false. Checked without branches per byte.
    let plain = head[..scan.min(head.len())].iter().fold(true, |ok, &c| {
        ok & ((7..=14).contains(&c) | (32..=127).contains(&c))
    });
    if plain {
        return false;
    }
    let cont = |x: u8| (0x80..=0xbf).contains(&x);
    let mut suspicious = 0usize;
    let mut i = 0usize;
    while i < scan {
        let c = b(i);
        if c == 0 {
            return true;
        } else if (!(7..=14).contains(&c)) && !(32..=127).contains(&c) {
            if (0xc0..=0xdf).contains(&c) && i + 1 < total {
                i += 1;
                if cont(b(i)) {
                    i += 1;
                    continue;
                }
            } else if (0xe0..=0xef).contains(&c) && i + 2 < total {
                i += 1;
                if cont(b(i)) && cont(b(i + 1)) {
                    i += 2;
                    continue;
                }
            } else if (0xf0..=0xf7).contains(&c) && i + 3 < total {
                i += 1;
                if cont(b(i)) && cont(b(i + 1)) && cont(b(i + 2)) {
                    i += 3;
                    continue;
                }
            }
            suspicious += 1;
            if i >= 32 && (suspicious * 100) as f64 / scan as f64 > 10.0 {
                return true;
            }
        }
        i += 1;
    }
    if (suspicious * 100) as f64 / scan as f64 > 10.0 {
        return true;
    }
    suspicious > 1 && is_binary_proto(&head[..scan.min(head.len())])
}

/// A byte reader that flags reads past the end instead of failing (isbinaryfile's `Reader`).
struct Reader<'a> {
    buf: &'a [u8],
    offset: usize,
    error: bool,
}

impl Reader<'_> {
    fn next_byte(&mut self) -> u8 {
        if self.offset == self.buf.len() || self.error {
            self.error = true;
            return 0xff;
        }
        let v = self.buf[self.offset];
        self.offset += 1;
        v
    }
    fn next(&mut self, len: i64) {
        let mut i = 0;
        while i < len {
            if self.error {
                return;
            }
            self.next_byte();
            i += 1;
        }
    }
    /// A protobuf varint with JavaScript's 32-bit shift semantics.
    fn var_int(&mut self) -> i32 {
        let mut idx: u32 = 0;
        let mut v: i32 = 0;
        while !self.error {
            let b = self.next_byte();
            v |= ((b & 0x7f) as i32).wrapping_shl((7 * idx) & 31);
            if b & 0x80 == 0 {
                break;
            }
            if idx >= 10 {
                self.error = true;
                break;
            }
            idx += 1;
        }
        v
    }
    fn message(&mut self) -> bool {
        let v = self.var_int();
        match v & 0x7 {
            0 => {
                self.var_int();
                true
            }
            1 => {
                self.next(8);
                true
            }
            2 => {
                let len = self.var_int();
                self.next(len as i64);
                true
            }
            5 => {
                self.next(4);
                true
            }
            _ => false,
        }
    }
}

fn is_binary_proto(buf: &[u8]) -> bool {
    let mut r = Reader {
        buf,
        offset: 0,
        error: false,
    };
    let mut messages = 0;
    loop {
        if !r.message() && !r.error {
            return false;
        }
        if r.error {
            break;
        }
        messages += 1;
    }
    messages > 0
}

#[cfg(test)]
mod tests {
    use super::is_binary;

    // Expected values checked with the oracle's isbinaryfile 5.0.7 (`isBinaryFileSync(buffer)`).
    #[test]
    fn text_and_binary() {
        assert!(!is_binary(b""));
        assert!(!is_binary(b"hello\nworld\n"));
        assert!(!is_binary("naïve café ✓ 日本語\r\n".as_bytes()));
        assert!(!is_binary(b"\xef\xbb\xbfBOM text"));
        assert!(is_binary(b"abc\x00def"));
        assert!(is_binary(b"%PDF-1.4 ..."));
        assert!(is_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"));
        // Latin-1 text: one suspicious byte in a short file is more than 10%.
        assert!(is_binary(b"caf\xe9"));
        assert!(!is_binary(
            b"a long enough line of ascii text with one latin-1 byte \xe9 in it, fine"
        ));
    }
}
