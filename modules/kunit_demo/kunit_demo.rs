// SPDX-License-Identifier: GPL-2.0

//! zlab `kunit_demo`: KUnit tests written in Rust, on code where byte order matters.
//!
//! The tests live in the `tests` module below. KUnit finds the suite in the `.ko` and runs it
//! when the module is loaded; the results appear on the console as KTAP ("ok 1 ...").

use kernel::prelude::*;

module! {
    type: KunitDemo,
    name: "kunit_demo",
    authors: ["zlab"],
    description: "zlab: a KUnit suite on big-endian parsing and kernel types",
    license: "GPL",
}

/// "ZLAB" in EBCDIC, the mainframe character set. In ASCII it would be 5A 4C 41 42.
pub const MAGIC: [u8; 4] = [0xE9, 0xD3, 0xC1, 0xC2];

/// Size of [`Header`] on the wire.
pub const HEADER_LEN: usize = 12;

/// A tiny record header, stored big-endian like any z/Architecture control block:
///
/// ```text
///  offset 0  magic   4 bytes  E9 D3 C1 C2
///  offset 4  version u16
///  offset 6  flags   u16
///  offset 8  length  u32      payload bytes that follow the header
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version.
    pub version: u16,
    /// Bit 0 (0x8000) is the leftmost bit, as in IBM's bit numbering.
    pub flags: u16,
    /// Payload bytes after the header.
    pub length: u32,
}

impl Header {
    /// Reads a header from the start of `bytes`.
    ///
    /// `from_be_bytes` says "these bytes are big-endian" whatever the CPU is. On s390x it is a
    /// plain load; on a little-endian CPU the compiler adds a byte swap. Portable code always
    /// says which order the data has, and never relies on the CPU's own order.
    pub fn parse(bytes: &[u8]) -> Result<Header> {
        if bytes.len() < HEADER_LEN || bytes[0..4] != MAGIC {
            return Err(EINVAL);
        }
        Ok(Header {
            version: u16::from_be_bytes([bytes[4], bytes[5]]),
            flags: u16::from_be_bytes([bytes[6], bytes[7]]),
            length: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        })
    }

    /// The wire form of the header.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4..6].copy_from_slice(&self.version.to_be_bytes());
        out[6..8].copy_from_slice(&self.flags.to_be_bytes());
        out[8..12].copy_from_slice(&self.length.to_be_bytes());
        out
    }
}

/// Splits a buffer of z/OS variable-length records (RECFM=V) into the records' data.
///
/// Each record starts with a 4-byte record descriptor word (RDW): a big-endian u16 length that
/// counts the RDW itself, then two zero bytes. The returned slices borrow from `buf`.
pub fn split_records(buf: &[u8]) -> Result<KVec<&[u8]>> {
    let mut records = KVec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        if rest.len() < 4 || rest[2] != 0 || rest[3] != 0 {
            return Err(EINVAL);
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if len < 4 || len > rest.len() {
            return Err(EINVAL);
        }
        // Allocation can fail in the kernel, so `push` takes GFP flags and returns a Result.
        records.push(&rest[4..len], GFP_KERNEL)?;
        rest = &rest[len..];
    }
    Ok(records)
}

struct KunitDemo;

impl kernel::Module for KunitDemo {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let sample = Header {
            version: 1,
            flags: 0x8000,
            length: 4096,
        };
        let parsed = Header::parse(&sample.to_bytes())?;
        pr_info!(
            "sample header: version {} flags {:#06x} length {}\n",
            parsed.version,
            parsed.flags,
            parsed.length
        );
        Ok(KunitDemo)
    }
}

// `#[kunit_tests(NAME)]` turns every `#[test]` fn into a KUnit case of suite NAME. Inside, the
// `assert!`/`assert_eq!` macros report failures to KUnit instead of panicking. Write equality as
// `assert_eq!(a, b)`, as in any Rust test; in Linux 7.3 a failure still prints the expression
// (`a == b`), not the two values: rust/kernel/kunit.rs forwards `assert_eq!` to `assert!`. A
// test may return a `Result`: an `Err` marks the case as failed.
#[kunit_tests(zlab_kunit_demo)]
mod tests {
    use super::*;
    use kernel::{new_mutex, sync::Arc};

    #[test]
    fn native_order_is_big_endian() {
        // The most significant byte comes first in memory on z/Architecture.
        assert!(cfg!(target_endian = "big"));
        assert_eq!(0x1234_5678u32.to_ne_bytes(), [0x12, 0x34, 0x56, 0x78]);
        assert_eq!(u32::from_ne_bytes([0x12, 0x34, 0x56, 0x78]), 0x1234_5678);
    }

    #[test]
    fn conversions_are_no_ops_only_for_big_endian() {
        let x = 0x1234_5678u32;
        // On s390x `to_be`/`from_be` do nothing; `to_le` is the one that swaps.
        assert_eq!(x.to_be(), x);
        assert_eq!(u32::from_be(x), x);
        assert_eq!(x.to_le(), x.swap_bytes());
        assert_eq!(x.swap_bytes(), 0x7856_3412);
        assert_eq!(u16::from_be_bytes([0x12, 0x34]), 0x1234);
        assert_eq!(u16::from_le_bytes([0x12, 0x34]), 0x3412);
    }

    #[test]
    fn parse_header_fields() -> Result {
        let wire = [
            0xE9, 0xD3, 0xC1, 0xC2, 0x00, 0x02, 0x80, 0x01, 0x00, 0x01, 0x00, 0x00,
        ];
        let h = Header::parse(&wire)?;
        assert_eq!(h.version, 2);
        assert_eq!(h.flags, 0x8001);
        assert_eq!(h.length, 65536);
        Ok(())
    }

    #[test]
    fn parse_header_rejects_bad_input() {
        let good = Header {
            version: 1,
            flags: 0,
            length: 8,
        }
        .to_bytes();
        assert_eq!(Header::parse(&good[..HEADER_LEN - 1]), Err(EINVAL));
        // The same magic in ASCII: the classic EBCDIC/ASCII mix-up.
        let mut ascii = good;
        ascii[0..4].copy_from_slice(b"ZLAB");
        assert_eq!(Header::parse(&ascii), Err(EINVAL));
    }

    #[test]
    fn header_round_trip() -> Result {
        let h = Header {
            version: 0xABCD,
            flags: 0x0102,
            length: 0xDEAD_BEEF,
        };
        let wire = h.to_bytes();
        assert_eq!(wire[8..12], [0xDE, 0xAD, 0xBE, 0xEF]);
        assert_eq!(Header::parse(&wire)?, h);
        Ok(())
    }

    #[test]
    fn split_variable_records() -> Result {
        // Two records: "IBM" (RDW length 7) and "Z" (RDW length 5), in EBCDIC.
        let buf = [0, 7, 0, 0, 0xC9, 0xC2, 0xD4, 0, 5, 0, 0, 0xE9];
        let records = split_records(&buf)?;
        assert_eq!(records.len(), 2);
        assert_eq!(records[0], &[0xC9, 0xC2, 0xD4][..]);
        assert_eq!(records[1], &[0xE9][..]);
        assert_eq!(split_records(&[])?.len(), 0);
        Ok(())
    }

    #[test]
    fn split_rejects_bad_rdw() {
        // Length counts the RDW itself, so 3 is impossible; 9 runs past the buffer; the two
        // bytes after the length must be zero; a lone 2-byte tail is not an RDW. Compare with the
        // error itself: `is_err()` would also pass on ENOMEM from a failed `push`.
        assert_eq!(split_records(&[0, 3, 0, 0]), Err(EINVAL));
        assert_eq!(split_records(&[0, 9, 0, 0, 1]), Err(EINVAL));
        assert_eq!(split_records(&[0, 4, 0, 1]), Err(EINVAL));
        assert_eq!(split_records(&[0, 4, 0, 0, 0, 4]), Err(EINVAL));
    }

    #[test]
    fn kvec_of_be_words() -> Result {
        let bytes = [0x00, 0x00, 0x00, 0x01, 0xC1, 0xC2, 0xC3, 0xC4];
        let mut words = KVec::with_capacity(2, GFP_KERNEL)?;
        for chunk in bytes.chunks_exact(4) {
            words.push(
                u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]),
                GFP_KERNEL,
            )?;
        }
        assert_eq!(words.as_slice(), &[1, 0xC1C2_C3C4][..]);
        Ok(())
    }

    #[test]
    fn arc_mutex_shared_log() -> Result {
        // `new_mutex!` gives a pin-initializer (a kernel mutex must not move once initialised);
        // `Arc::pin_init` allocates the Arc and initialises the mutex in place.
        let log = Arc::pin_init(new_mutex!(KVec::<Header>::new()), GFP_KERNEL)?;
        let other = log.clone();
        assert!(Arc::ptr_eq(&log, &other));

        let h = Header {
            version: 3,
            flags: 0,
            length: 0,
        };
        log.lock().push(h, GFP_KERNEL)?;
        other
            .lock()
            .push(Header::parse(&h.to_bytes())?, GFP_KERNEL)?;

        // A failed KUnit assertion ends the test's thread at once, without running destructors
        // (rust/kernel/kunit.rs says so): a guard alive then would never unlock the mutex. Copy
        // out what to check, let the guard go, then assert.
        let (len, first, second) = {
            let guard = log.lock();
            (guard.len(), guard.first().copied(), guard.get(1).copied())
        };
        assert_eq!(len, 2);
        assert_eq!(first, second);
        Ok(())
    }
}
