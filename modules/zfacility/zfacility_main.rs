// SPDX-License-Identifier: GPL-2.0

//! zfacility: what this IBM Z CPU says about itself, read through a C shim in the same module.
//!
//! - STFLE (store facility list extended): which architecture facilities are installed.
//! - STIDP (store CPU id): version, identification and machine type.
//! - STCKE / STCKF (store clock): the TOD clock.
//!
//! Reading /dev/zfacility gives a text report, taken fresh at each open:
//!
//! ```text
//! stfle_doublewords: 3
//! facilities: 0 1 2 3 ...             <- STFLE executed just now
//! kernel_facilities: 0 1 2 3 ...      <- the kernel's list, as in /proc/cpuinfo
//! version: 00
//! ...
//! ```

use core::fmt::Write;
use kernel::{
    fs::{
        File,
        Kiocb, //
    },
    iov::IovIterDest,
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

module! {
    type: ZFacility,
    name: "zfacility",
    authors: ["zlab"],
    description: "zlab: STFLE facilities, CPU id and TOD clock via /dev/zfacility",
    license: "GPL",
}

/// The C functions in zfacility_shim.c. Nothing checks that these match the C prototypes in
/// zfacility_shim.h: a mismatch is undefined behaviour, so keep both in sync by hand.
mod shim {
    use kernel::prelude::*;

    unsafe extern "C" {
        fn zfacility_stfle(list: *mut u64, doublewords: c_uint) -> c_uint;
        fn zfacility_kernel_facilities(list: *mut u64, doublewords: c_uint);
        fn zfacility_stidp() -> u64;
        fn zfacility_stcke(clock: *mut u8);
        fn zfacility_stckf() -> u64;
    }

    /// Runs STFLE into `list`; returns how many doublewords the CPU's list has.
    pub(crate) fn stfle(list: &mut [u64; super::FAC_DWORDS]) -> u32 {
        // SAFETY: `list` is valid for writes of `FAC_DWORDS` u64s, which is the count passed,
        // and the C function writes no more than that.
        unsafe { zfacility_stfle(list.as_mut_ptr(), super::FAC_DWORDS as c_uint) }
    }

    /// Copies the kernel's boot-time facility list into `list`.
    pub(crate) fn kernel_facilities(list: &mut [u64; super::FAC_DWORDS]) {
        // SAFETY: As for `stfle`: the buffer holds exactly the number of doublewords passed.
        unsafe { zfacility_kernel_facilities(list.as_mut_ptr(), super::FAC_DWORDS as c_uint) }
    }

    /// The STIDP doubleword.
    pub(crate) fn stidp() -> u64 {
        // SAFETY: No arguments; STIDP only stores into the C function's own local.
        unsafe { zfacility_stidp() }
    }

    /// The 16 bytes STCKE stores (`ZFACILITY_STCKE_BYTES` in zfacility_shim.h).
    pub(crate) fn stcke() -> [u8; 16] {
        let mut clock = [0; 16];
        // SAFETY: `clock` is valid for writes of 16 bytes, which is all the C function writes.
        unsafe { zfacility_stcke(clock.as_mut_ptr()) };
        clock
    }

    /// The TOD clock via STCKF, or `None` if this CPU lacks facility 25 (store clock fast).
    ///
    /// On a CPU without facility 25, STCKF is an operation exception: a kernel oops. A safe
    /// function must not rely on its caller to check that, so this one asks the CPU itself.
    /// (This kernel's minimum architecture level includes facility 25, so on any machine it
    /// boots on the answer is `Some`; the check makes the wrapper sound on its own.)
    pub(crate) fn stckf() -> Option<u64> {
        // Ask the CPU (STFLE), not the kernel's list: `facilities=25` on the command line would
        // set the bit there even on a CPU without it.
        let (cpu, _) = super::Facilities::from_stfle();
        if !cpu.has(super::FAC_STCKF) {
            return None;
        }
        // SAFETY: No arguments; STCKF writes a local of the C function, and STFLE just said
        // that facility 25 is installed, so the instruction exists.
        Some(unsafe { zfacility_stckf() })
    }
}

/// 16 doublewords = 1024 facility bits, the size of the kernel's own `stfle_fac_list`.
const FAC_DWORDS: usize = 16;

/// The store-clock-fast facility (STCKF).
const FAC_STCKF: usize = 25;

/// Seconds from the TOD epoch (1900-01-01) to the Unix epoch (1970-01-01).
const TOD_UNIX_EPOCH_SECS: u64 = 2_208_988_800;

/// A facility list as STFLE stores it.
struct Facilities([u64; FAC_DWORDS]);

impl Facilities {
    fn from_stfle() -> (Facilities, u32) {
        let mut list = [0; FAC_DWORDS];
        let doublewords = shim::stfle(&mut list);
        (Facilities(list), doublewords)
    }

    fn from_kernel() -> Facilities {
        let mut list = [0; FAC_DWORDS];
        shim::kernel_facilities(&mut list);
        Facilities(list)
    }

    /// IBM numbers bits from the left: facility 0 is the most significant bit of the first
    /// doubleword. Because z/Architecture is big-endian, that is also the 0x80 bit of the first
    /// byte, so the kernel's byte-wise `test_facility()` and this doubleword-wise test agree.
    fn has(&self, nr: usize) -> bool {
        nr < FAC_DWORDS * 64 && self.0[nr / 64] & (1u64 << (63 - nr % 64)) != 0
    }

    fn installed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..FAC_DWORDS * 64).filter(|&nr| self.has(nr))
    }
}

/// The fields of the STIDP doubleword (bits 0-7 version, 8-31 identification, 32-47 machine).
struct CpuId {
    version: u8,
    ident: u32,
    machine: u16,
}

impl CpuId {
    fn read() -> CpuId {
        let raw = shim::stidp();
        CpuId {
            version: (raw >> 56) as u8,
            ident: ((raw >> 32) & 0xff_ffff) as u32,
            machine: (raw >> 16) as u16,
        }
    }
}

/// The TOD clock as STCKE stores it, big-endian like every operand in storage: byte 0 the epoch
/// index, bytes 1-8 bits 0-63 of the clock, then finer bits and the programmable field.
struct Tod {
    /// How often bits 0-63 have wrapped (first on 2042-09-17). Zero on a CPU without the
    /// multiple-epoch facility (139).
    epoch_index: u8,
    /// Bits 0-63 of the clock, what STCK and STCKF store: bit 51 is 1 us since 1900-01-01.
    clock: u64,
}

impl Tod {
    fn read() -> Tod {
        let raw = shim::stcke();
        Tod {
            epoch_index: raw[0],
            clock: u64::from_be_bytes([
                raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8],
            ]),
        }
    }

    /// Seconds since 1970-01-01, or `None` for a TOD before 1970 (a clock never set, say).
    ///
    /// A plain `-` there would panic with `CONFIG_RUST_OVERFLOW_CHECKS` and wrap to a huge
    /// number without.
    fn unix_seconds(&self) -> Option<u64> {
        // Bit 51 is 1 us, so shift right by 12. The epoch index goes above the 52 bits left:
        // after the 2042 wrap, bits 0-63 alone would look like 1900 again.
        let micros = (u64::from(self.epoch_index) << 52) | (self.clock >> 12);
        (micros / 1_000_000).checked_sub(TOD_UNIX_EPOCH_SECS)
    }
}

/// A byte buffer that `write!` can format into; allocation failure becomes `fmt::Error`.
struct Text(KVec<u8>);

impl Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

fn write_list(t: &mut Text, key: &str, facilities: &Facilities) -> core::fmt::Result {
    write!(t, "{key}:")?;
    for nr in facilities.installed() {
        write!(t, " {nr}")?;
    }
    writeln!(t)
}

/// Reads everything now and formats the report.
fn report() -> Result<KVec<u8>> {
    let (stfle, doublewords) = Facilities::from_stfle();
    let kernel = Facilities::from_kernel();
    let id = CpuId::read();
    let tod = Tod::read();

    let mut t = Text(KVec::new());
    let fmt = |t: &mut Text| -> core::fmt::Result {
        writeln!(t, "stfle_doublewords: {doublewords}")?;
        write_list(t, "facilities", &stfle)?;
        write_list(t, "kernel_facilities", &kernel)?;
        writeln!(t, "version: {:02X}", id.version)?;
        writeln!(t, "identification: {:06X}", id.ident)?;
        writeln!(t, "machine: {:04X}", id.machine)?;
        writeln!(t, "tod: {:#018x}", tod.clock)?;
        writeln!(t, "tod_epoch_index: {}", tod.epoch_index)?;
        match shim::stckf() {
            Some(fast) => writeln!(t, "tod_fast: {fast:#018x}")?,
            None => writeln!(t, "tod_fast: unavailable (no facility {FAC_STCKF})")?,
        }
        match tod.unix_seconds() {
            Some(secs) => writeln!(t, "tod_unix_seconds: {secs}"),
            None => writeln!(t, "tod_unix_seconds: unavailable (TOD before 1970)"),
        }
    };
    fmt(&mut t).map_err(|_| ENOMEM)?;
    Ok(t.0)
}

#[pin_data(PinnedDrop)]
struct ZFacility {
    #[pin]
    _dev: MiscDeviceRegistration<Report>,
}

impl kernel::InPlaceModule for ZFacility {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let (stfle, doublewords) = Facilities::from_stfle();
        let kernel = Facilities::from_kernel();
        let id = CpuId::read();
        // `pr_info!` arguments go through the kernel's `fmt!` macro, which takes the first `=`
        // in an argument for a named argument (`name = value`): compute `==` outside.
        let same = if stfle.0 == kernel.0 { "yes" } else { "no" };
        pr_info!(
            "STFLE: {} facilities in {} doubleword(s); same as the kernel's list: {}\n",
            stfle.installed().count(),
            doublewords,
            same
        );
        pr_info!(
            "CPU: version {:02X} identification {:06X} machine {:04X}\n",
            id.version,
            id.ident,
            id.machine
        );
        pr_info!("TOD clock: {:#018x}\n", Tod::read().clock);

        try_pin_init!(Self {
            _dev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"zfacility",
            }),
        })
        .pin_chain(|_| {
            pr_info!("/dev/zfacility ready\n");
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for ZFacility {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("removing /dev/zfacility\n");
    }
}

/// One open of /dev/zfacility: the report, taken at open time so that reads of one open agree.
struct Report {
    text: KVec<u8>,
}

#[vtable]
impl MiscDevice for Report {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(Report { text: report()? }, GFP_KERNEL)?)
    }

    fn read_iter(mut kiocb: Kiocb<'_, KBox<Self>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let me = kiocb.file();
        iov.simple_read_from_buffer(kiocb.ki_pos_mut(), &me.text)
    }
}

// What needs no hardware, tested with KUnit at insmod: the bit numbering, and the TOD
// conversion in the cases a real clock reaches only before 1970 or after 2042.
#[kunit_tests(zlab_zfacility)]
mod tests {
    use super::*;

    /// The TOD clock at 1970-01-01 00:00:00 UTC: 2208988800 s * 10^6 us * 4096 (bit 51 = 1 us).
    const TOD_AT_UNIX_EPOCH: u64 = 0x7d91_048b_ca00_0000;

    #[test]
    fn facility_bits_count_from_the_left() {
        let mut list = [0; FAC_DWORDS];
        list[0] = 1 << 63; // facility 0: the leftmost bit of the first doubleword
        list[2] = 1; // facility 191: the rightmost bit of the third
        let facilities = Facilities(list);
        assert!(facilities.has(0));
        assert!(facilities.has(191));
        assert!(!facilities.has(63));
        assert!(!facilities.has(FAC_DWORDS * 64)); // past the list: not installed, no panic
        assert_eq!(facilities.installed().count(), 2);
    }

    #[test]
    fn tod_to_unix_seconds() {
        let epoch = Tod {
            epoch_index: 0,
            clock: TOD_AT_UNIX_EPOCH,
        };
        assert_eq!(epoch.unix_seconds(), Some(0));
        let one_second_later = Tod {
            epoch_index: 0,
            clock: TOD_AT_UNIX_EPOCH + 4_096_000_000,
        };
        assert_eq!(one_second_later.unix_seconds(), Some(1));
    }

    #[test]
    fn tod_before_1970_has_no_unix_time() {
        let never_set = Tod {
            epoch_index: 0,
            clock: 0,
        };
        assert_eq!(never_set.unix_seconds(), None);
        let just_before = Tod {
            epoch_index: 0,
            clock: TOD_AT_UNIX_EPOCH - 1,
        };
        assert_eq!(just_before.unix_seconds(), None);
    }

    #[test]
    fn epoch_index_carries_past_2042() {
        // Bits 0-63 wrap to 0 at 2042-09-17 23:53:47 UTC (Unix time 2294610827); epoch index 1
        // says the clock is on its second time round, not back in 1900.
        let wrapped = Tod {
            epoch_index: 1,
            clock: 0,
        };
        assert_eq!(wrapped.unix_seconds(), Some(2_294_610_827));
    }
}
