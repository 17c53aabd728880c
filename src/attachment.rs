//! Purpose: which attachments the bot reads, and how their bytes become
//! text: UTF-8, or UTF-16 with a byte-order mark (Windows PowerShell 5.1
//! writes logs that way); anything else binary is skipped.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// Attachments larger than this are not read, whatever size they declare.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// File endings read as text.
const TEXT_ENDINGS: [&str; 3] = [".txt", ".log", ".json"];

/// Is a file of this name and declared size worth downloading as text?
pub fn is_text_candidate(filename: &str, declared_size: u64) -> bool {
    let name = filename.to_ascii_lowercase();
    declared_size <= MAX_TEXT_BYTES as u64 && TEXT_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// Image endings read with OCR (the bytes are checked again before decoding).
const IMAGE_ENDINGS: [&str; 4] = [".png", ".jpg", ".jpeg", ".webp"];

/// Is a file of this name and declared size worth reading as a screenshot?
pub fn is_image_candidate(filename: &str, declared_size: u64) -> bool {
    let name = filename.to_ascii_lowercase();
    declared_size <= crate::ocr::MAX_BYTES as u64 && IMAGE_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// The attachment's text, or `None` when it is binary.
pub fn decode_text(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).map(|s| Cow::Owned(s.into_bytes()));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).map(|s| Cow::Owned(s.into_bytes()));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    (!body.contains(&0) && std::str::from_utf8(body).is_ok()).then_some(Cow::Borrowed(body))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let text: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
    (!text.contains('\0')).then_some(text)
}

/// What one attachment added to its message's text: the decoded file, or
/// the codes and words read from a screenshot (empty when it held none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The bytes appended to the message text.
    pub text: Vec<u8>,
    /// Whether they come from a screenshot (OCR).
    pub from_image: bool,
}

/// Attachments already read, by attachment id. Discord never changes an
/// attachment's bytes, so an edit of the message (which carries the same
/// attachments) needn't download or OCR them again. Holds at most
/// `budget` bytes of text, forgetting the oldest first.
#[derive(Debug)]
pub struct ReadMemo {
    inner: Mutex<MemoInner>,
    budget: usize,
}

#[derive(Debug, Default)]
struct MemoInner {
    reads: HashMap<u64, Read>,
    order: VecDeque<u64>,
    bytes: usize,
}

impl ReadMemo {
    /// A memo of at most `budget` bytes of text.
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Mutex::default(),
            budget,
        }
    }

    /// What attachment `id` was read as, if it was.
    pub fn get(&self, id: u64) -> Option<Read> {
        self.lock().reads.get(&id).cloned()
    }

    /// Remembers what attachment `id` was read as (a read larger than the
    /// whole budget is not kept).
    pub fn put(&self, id: u64, read: Read) {
        let size = read.text.len();
        if size > self.budget {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.reads.insert(id, read) {
            inner.bytes -= old.text.len();
        } else {
            inner.order.push_back(id);
        }
        inner.bytes += size;
        while inner.bytes > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.reads.remove(&oldest) {
                inner.bytes -= gone.text.len();
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf8_is_read_as_is() {
        assert_eq!(
            decode_text(b"AADSTS50076").unwrap().as_ref(),
            b"AADSTS50076"
        );
        let bom = b"\xEF\xBB\xBFAADSTS50076";
        assert_eq!(decode_text(bom).unwrap().as_ref(), b"AADSTS50076");
    }

    #[test]
    fn utf16_logs_with_a_bom_are_read() {
        let le = utf16le("Error: AADSTS50076 é");
        assert_eq!(
            decode_text(&le).unwrap().as_ref(),
            "Error: AADSTS50076 é".as_bytes()
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend("AADSTS50126".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode_text(&be).unwrap().as_ref(), b"AADSTS50126");
    }

    #[test]
    fn binary_is_skipped() {
        assert!(decode_text(b"\x89PNG\r\n\x1a\n\0\0").is_none());
        assert!(decode_text(&[0xC3, 0x28]).is_none());
        // A lone surrogate is not text either.
        assert!(decode_text(&[0xFF, 0xFE, 0x00, 0xD8]).is_none());
    }

    #[test]
    fn only_small_text_files_are_candidates() {
        assert!(is_text_candidate("Sign-in.LOG", 10));
        assert!(is_text_candidate("body.json", MAX_TEXT_BYTES as u64));
        assert!(!is_text_candidate("body.json", MAX_TEXT_BYTES as u64 + 1));
        assert!(!is_text_candidate("shot.png", 10));
    }

    #[test]
    fn the_memo_keeps_reads_within_its_budget_forgetting_the_oldest() {
        let memo = ReadMemo::new(10);
        let read = |n: usize| Read {
            text: vec![b'x'; n],
            from_image: false,
        };
        memo.put(1, read(4));
        memo.put(2, read(4));
        assert_eq!(memo.get(1), Some(read(4)));
        memo.put(3, read(4)); // 12 bytes: the oldest goes
        assert_eq!(memo.get(1), None);
        assert_eq!((memo.get(2), memo.get(3)), (Some(read(4)), Some(read(4))));
        memo.put(4, read(11)); // larger than the whole budget: not kept
        assert_eq!(memo.get(4), None);
        assert_eq!(memo.get(3), Some(read(4)));
    }
}
