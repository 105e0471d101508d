//! Where a PDF's bytes come from: a buffer already in memory, or a file read
//! by position.
//!
//! Verifying a 50 MB file must not hold 50 MB: the reader asks for the bytes
//! it needs (the cross-reference tail, each object on demand), the signed
//! ranges are streamed through the digest, and whole-file searches run over
//! bounded chunks. For a buffer every read is a borrow of the buffer itself,
//! so the in-memory path costs what it did before and sees exactly the same
//! bytes.

use super::PdfError;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// A PDF's bytes, read by position.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    File(&'a FileSource),
}

/// A file read by position through a small cache of aligned blocks (the
/// reader parses several objects in the same neighbourhood).
pub struct FileSource {
    file: File,
    len: usize,
    /// (block number, bytes), most recently used last.
    blocks: RefCell<Vec<(usize, Vec<u8>)>>,
    /// Bytes read again by windows that had to grow (see [`Source::may_grow`]).
    regrown: std::cell::Cell<usize>,
}

/// Bytes a document may read again through growing windows. An object
/// larger than its first window is rare and read a few times over; a file
/// full of objects that start well and never end would otherwise make each
/// one cost tens of MB of reads.
const REGROWN_LIMIT: usize = 256 << 20;

/// Size of one cached block.
const BLOCK: usize = 64 << 10;
/// Blocks kept: 1 MiB per open document.
const BLOCKS: usize = 16;
/// Size of one chunk of a whole-file search or digest.
const CHUNK: usize = 1 << 20;

impl FileSource {
    /// Takes a file opened for reading; its length is fixed now (the
    /// document is the file as it was when opened).
    pub fn new(file: File) -> std::io::Result<Self> {
        let len = usize::try_from(file.metadata()?.len()).map_err(|_| std::io::ErrorKind::FileTooLarge)?;
        Ok(FileSource { file, len, blocks: RefCell::new(Vec::with_capacity(BLOCKS)), regrown: std::cell::Cell::new(0) })
    }

    fn block(&self, n: usize, out: &mut Vec<u8>, from: usize, to: usize) -> Result<(), PdfError> {
        let mut blocks = self.blocks.borrow_mut();
        if let Some(i) = blocks.iter().position(|(b, _)| *b == n) {
            let hit = blocks.remove(i);
            out.extend_from_slice(hit.1.get(from..to).ok_or(PdfError::Io(std::io::ErrorKind::UnexpectedEof))?);
            blocks.push(hit);
            return Ok(());
        }
        let start = n.saturating_mul(BLOCK);
        let mut buf = vec![0; BLOCK.min(self.len.saturating_sub(start))];
        self.read_exact_at(&mut buf, start)?;
        out.extend_from_slice(buf.get(from..to).ok_or(PdfError::Io(std::io::ErrorKind::UnexpectedEof))?);
        if blocks.len() >= BLOCKS {
            blocks.remove(0);
        }
        blocks.push((n, buf));
        Ok(())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: usize) -> Result<(), PdfError> {
        self.file.read_exact_at(buf, offset as u64).map_err(|e| PdfError::Io(e.kind()))
    }

    /// `[offset, offset + len)`, clamped to the file: small reads through
    /// the block cache, large ones straight from the file.
    fn read(&self, offset: usize, len: usize) -> Result<Vec<u8>, PdfError> {
        let end = offset.saturating_add(len).min(self.len);
        if offset >= end {
            return Ok(Vec::new());
        }
        if end - offset > BLOCK {
            let mut buf = vec![0; end - offset];
            self.read_exact_at(&mut buf, offset)?;
            return Ok(buf);
        }
        let mut out = Vec::with_capacity(end - offset);
        let mut pos = offset;
        while pos < end {
            let n = pos / BLOCK;
            let block_end = (n + 1).saturating_mul(BLOCK).min(end);
            self.block(n, &mut out, pos - n * BLOCK, block_end - n * BLOCK)?;
            pos = block_end;
        }
        Ok(out)
    }
}

impl<'a> Source<'a> {
    pub fn len(&self) -> usize {
        match self {
            Source::Bytes(b) => b.len(),
            Source::File(f) => f.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes `[offset, offset + len)`, clamped to the end (empty past it).
    pub fn window(&self, offset: usize, len: usize) -> Result<Cow<'a, [u8]>, PdfError> {
        match *self {
            Source::Bytes(b) => {
                let end = offset.saturating_add(len).min(b.len());
                Ok(Cow::Borrowed(b.get(offset..end).unwrap_or_default()))
            }
            Source::File(f) => f.read(offset, len).map(Cow::Owned),
        }
    }

    /// Everything from `offset` to the end when that is free (a buffer),
    /// else the next `len` bytes: what a parser starting at `offset` is
    /// given first.
    pub fn rest(&self, offset: usize, len: usize) -> Result<Cow<'a, [u8]>, PdfError> {
        match self {
            Source::Bytes(_) => self.window(offset, usize::MAX),
            Source::File(_) => self.window(offset, len),
        }
    }

    /// The bytes before `end`: all of them when that is free (a buffer),
    /// else the last `len`.
    pub fn before(&self, end: usize, len: usize) -> Result<Cow<'a, [u8]>, PdfError> {
        let end = end.min(self.len());
        match self {
            Source::Bytes(_) => self.window(0, end),
            Source::File(_) => self.window(end.saturating_sub(len), len.min(end)),
        }
    }

    /// Whether a window may grow to `len` bytes: always for a buffer (its
    /// windows are whole), and for a file while the document has re-read
    /// less than [`REGROWN_LIMIT`] bytes.
    pub fn may_grow(&self, len: usize) -> bool {
        match self {
            Source::Bytes(_) => true,
            Source::File(f) => {
                let total = f.regrown.get().saturating_add(len);
                f.regrown.set(total);
                total <= REGROWN_LIMIT
            }
        }
    }

    /// Whether `[offset, offset + len)` read by [`Source::rest`] reached the end.
    pub fn reaches_end(&self, offset: usize, got: usize) -> bool {
        offset.saturating_add(got) >= self.len()
    }

    /// Calls `f(chunk, base)` over `[from, to)` in chunks, each preceded by
    /// up to `before` bytes of what lies before it and followed by up to
    /// `after` bytes past it, so that a match straddling two chunks is seen
    /// whole in one. `f` must only report matches that start in
    /// `[from, to)` and in the chunk's own part: `own` gives that part as
    /// absolute offsets. A buffer is one chunk. Stops when `f` says so.
    pub fn chunks(
        &self,
        from: usize,
        to: usize,
        before: usize,
        after: usize,
        mut f: impl FnMut(&[u8], usize, (usize, usize)) -> Result<bool, PdfError>,
    ) -> Result<(), PdfError> {
        let to = to.min(self.len());
        if let Source::Bytes(b) = *self {
            if from < to {
                f(b, 0, (from, to))?;
            }
            return Ok(());
        }
        let mut start = from;
        while start < to {
            let own_end = start.saturating_add(CHUNK).min(to);
            let base = start.saturating_sub(before);
            let w = self.window(base, own_end.saturating_add(after) - base)?;
            if !f(&w, base, (start, own_end))? {
                return Ok(());
            }
            start = own_end;
        }
        Ok(())
    }

    /// Every offset in `[from, to)` where `needle` starts.
    pub fn find_all(&self, from: usize, to: usize, needle: &[u8]) -> Result<Vec<usize>, PdfError> {
        let mut hits = Vec::new();
        self.chunks(from, to, 0, needle.len(), |w, base, (s, e)| {
            for h in memchr::memmem::find_iter(w, needle) {
                let at = base + h;
                if at >= s && at < e {
                    hits.push(at);
                }
            }
            Ok(true)
        })?;
        Ok(hits)
    }

    /// The first offset at or after `from` where `needle` starts.
    pub fn find(&self, from: usize, needle: &[u8]) -> Result<Option<usize>, PdfError> {
        let mut found = None;
        self.chunks(from, self.len(), 0, needle.len(), |w, base, (s, e)| {
            let lo = s - base;
            found = memchr::memmem::find(w.get(lo..).unwrap_or_default(), needle)
                .map(|h| base + lo + h)
                .filter(|&at| at < e);
            Ok(found.is_none())
        })?;
        Ok(found)
    }

    /// The last offset before `end` where `needle` starts (whole, before `end`).
    pub fn rfind(&self, end: usize, needle: &[u8]) -> Result<Option<usize>, PdfError> {
        let end = end.min(self.len());
        if let Source::Bytes(b) = *self {
            return Ok(memchr::memmem::rfind(b.get(..end).unwrap_or_default(), needle));
        }
        let mut stop = end;
        while stop > 0 {
            let start = stop.saturating_sub(CHUNK);
            // The chunk runs to `end` at most, so a needle found in it
            // ends before `end`; starts in [start, stop) are its own.
            let w = self.window(start, (stop + needle.len()).min(end) - start)?;
            if let Some(h) = memchr::memmem::rfind(&w, needle) {
                return Ok(Some(start + h));
            }
            stop = start;
        }
        Ok(None)
    }

    /// The digest of `ranges`, read in chunks.
    pub fn digest(
        &self,
        ranges: &[(usize, usize)],
        alg: &'static ring::digest::Algorithm,
    ) -> Result<Vec<u8>, PdfError> {
        let mut ctx = ring::digest::Context::new(alg);
        for &(from, to) in ranges {
            self.update(&mut ctx, from, to)?;
        }
        Ok(ctx.finish().as_ref().to_vec())
    }

    /// Feeds `[from, to)` to `ctx`, a chunk at a time.
    pub fn update(&self, ctx: &mut ring::digest::Context, from: usize, to: usize) -> Result<(), PdfError> {
        if to > self.len() || from > to {
            return Err(PdfError::Io(std::io::ErrorKind::UnexpectedEof));
        }
        match *self {
            Source::Bytes(b) => ctx.update(b.get(from..to).unwrap_or_default()),
            Source::File(f) => {
                let mut buf = vec![0; CHUNK.min(to - from)];
                let mut pos = from;
                while pos < to {
                    let n = CHUNK.min(to - pos);
                    let part = buf.get_mut(..n).unwrap_or_default();
                    f.read_exact_at(part, pos)?;
                    ctx.update(part);
                    pos += n;
                }
            }
        }
        Ok(())
    }
}
