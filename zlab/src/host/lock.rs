//! One zlab at a time per folder (a build dir, a module's output, a check's run folder): a
//! second run waits for the first instead of corrupting what it writes.

use crate::ui::output;
use anyhow::{Context, Result};
use fs_err as fs;
use std::fs::TryLockError;
use std::path::Path;

/// The file in a locked dir that holds the lock.
pub const LOCK_FILE: &str = ".zlab.lock";

pub struct DirLock {
    _file: fs::File,
}

impl DirLock {
    /// Locks `dir`, creating it if needed (released when the value is dropped, or when the
    /// process dies, so a killed run never leaves a stale lock).
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        fs::create_dir_all(dir)?;
        let path = dir.join(LOCK_FILE);
        let file = fs::File::create(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let warning = output::paint(output::Stream::Stderr, output::Colour::Yellow, "another zlab is using");
                eprintln!("zlab: {warning} {}; waiting for it to finish", dir.display());
                file.lock()?;
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
        }
        Ok(DirLock { _file: file })
    }
}
