//! One zlab at a time per build dir: a second run waits for the first instead of corrupting it.

use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::path::Path;

pub struct BuildLock {
    _file: File,
}

impl BuildLock {
    /// Locks `dir` (released when the value is dropped, or when the process dies).
    pub fn acquire(dir: &Path) -> Result<BuildLock> {
        let path = dir.join(".zlab.lock");
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                eprintln!("zlab: another zlab is using {}; waiting for it to finish", dir.display());
                file.lock().with_context(|| format!("locking {}", path.display()))?;
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
        }
        Ok(BuildLock { _file: file })
    }
}
