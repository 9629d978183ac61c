// SPDX-License-Identifier: GPL-2.0

//! zlab `echo`: a misc character device, /dev/zlab-echo, that gives back what was written.
//!
//! ```sh
//! insmod echo.ko
//! echo "hello mainframe" > /dev/zlab-echo
//! cat /dev/zlab-echo            # hello mainframe
//! ```
//!
//! A misc device is the cheapest way to give userspace a file to talk to: one registration call,
//! a dynamic minor under major 10, and devtmpfs creates the /dev node for us.

use kernel::{
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

module! {
    type: EchoModule,
    name: "echo",
    authors: ["zlab"],
    description: "zlab: /dev/zlab-echo gives back what was written",
    license: "GPL",
}

/// The most the device holds: one 4 KiB page, the z/Architecture page size.
const CAPACITY: usize = 4096;

/// What was written last. A fixed array: no allocation, and the bound is part of the type.
struct EchoBuffer {
    data: [u8; CAPACITY],
    len: usize,
}

// Every open of /dev/zlab-echo must see the same buffer (`echo` writes, a later `cat` reads), so
// it lives in a global, behind a kernel `struct mutex`. A mutex (not a spinlock) because copying
// from or to userspace may fault in a page and sleep.
kernel::sync::global_lock! {
    // SAFETY: `BUFFER.init()` is called in the module initializer, before the device is
    // registered, so before anyone can open it and take the lock.
    unsafe(uninit) static BUFFER: Mutex<EchoBuffer> = EchoBuffer {
        data: [0; CAPACITY],
        len: 0,
    };
}

#[pin_data(PinnedDrop)]
struct EchoModule {
    // The registration must not move once the kernel knows its address: it is pinned.
    #[pin]
    _dev: MiscDeviceRegistration<EchoDevice>,
}

impl kernel::InPlaceModule for EchoModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: The module initializer runs once per load, and this is the only `init()` call.
        unsafe { BUFFER.init() };

        let options = MiscDeviceOptions { name: c"zlab-echo" };
        try_pin_init!(Self {
            _dev <- MiscDeviceRegistration::register(options),
        })
        // Runs only if the registration succeeded.
        .pin_chain(|_| {
            pr_info!("/dev/zlab-echo ready, holds up to {} bytes\n", CAPACITY);
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for EchoModule {
    fn drop(self: Pin<&mut Self>) {
        // The registration field is dropped right after this, which removes the device.
        pr_info!("removing /dev/zlab-echo\n");
    }
}

/// One open file. All state is in `BUFFER`, so an open file needs no data of its own: `()`.
struct EchoDevice;

#[vtable]
impl MiscDevice for EchoDevice {
    type Ptr = ();

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<()> {
        Ok(())
    }

    /// The file position (`ki_pos`) says where this write lands: a fresh open starts at 0 and
    /// replaces the contents, further writes on the same open append.
    fn write_iter(mut kiocb: Kiocb<'_, ()>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let pos = usize::try_from(kiocb.ki_pos()).map_err(|_| EINVAL)?;
        let wanted = iov.len();
        let end = match pos.checked_add(wanted) {
            Some(end) if end <= CAPACITY => end,
            _ => {
                pr_info!(
                    "refused {} bytes at offset {}: only {} fit\n",
                    wanted,
                    pos,
                    CAPACITY
                );
                return Err(EFBIG);
            }
        };

        let mut buf = BUFFER.lock();
        // Another open may have stored something shorter meanwhile: never expose stale bytes.
        let old_len = buf.len;
        if pos > old_len {
            buf.data[old_len..pos].fill(0);
        }
        // Copies from the user's buffer; returns fewer bytes if a user page is not accessible.
        let copied = iov.copy_from_iter(&mut buf.data[pos..end]);
        if copied == 0 && wanted != 0 {
            return Err(EFAULT);
        }
        buf.len = pos + copied;
        drop(buf);

        *kiocb.ki_pos_mut() = (pos + copied) as i64;
        pr_info!("stored {} bytes at offset {}\n", copied, pos);
        Ok(copied)
    }

    fn read_iter(mut kiocb: Kiocb<'_, ()>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let buf = BUFFER.lock();
        // Copies what is left from the file position on, and advances the position: a second
        // read() returns 0, which `cat` takes as end of file.
        iov.simple_read_from_buffer(kiocb.ki_pos_mut(), &buf.data[..buf.len])
    }
}
