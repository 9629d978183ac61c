//! Which file a tool name stands for, cheaply: enough to tell that a tool was upgraded,
//! removed or replaced by another choice without running it.

use crate::host::process::which;
use fs_err as fs;
use std::path::Path;

/// Path, size and modification time of the file a tool name resolves to.
pub fn identity(tool: &Path) -> String {
    let resolved = which(&tool.to_string_lossy()).or_else(|| tool.exists().then(|| tool.to_path_buf()));
    let Some(path) = resolved.and_then(|p| fs::canonicalize(p).ok()) else {
        return format!("{} missing", tool.display());
    };
    match fs::metadata(&path) {
        Ok(m) => format!("{} {} {:?}", path.display(), m.len(), m.modified().ok()),
        Err(_) => format!("{} unreadable", path.display()),
    }
}
