//! The guest. In: a kernel build, its modules and a check. Out: the check's initramfs (busybox
//! and an init that runs the check's steps between markers), a QEMU boot with its console
//! captured and its exit status, and for `--gdb` a stub to attach to; or a guest booted once and
//! saved (snapshot), from which each check resumes with its files on a disk.

pub mod gdb;
pub mod init;
pub mod initramfs;
pub mod qemu;
pub mod qmp;
pub mod session;
pub mod snapshot;
