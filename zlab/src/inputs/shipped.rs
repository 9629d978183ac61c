//! What zlab ships in kernel/ — the pins, the variants and the config fragments — built into the
//! binary, so an installed zlab works in any project. A project's own kernel/ files take the
//! place of these, file by file (variants: name by name).

use std::path::Path;

pub const SOURCE_PINS: &str = include_str!("../../../kernel/source.toml");
pub const VARIANTS: &str = include_str!("../../../kernel/variants.toml");
/// Every kernel/configs/<name>.config (a test checks that none is missing here).
pub const FRAGMENTS: &[(&str, &str)] = &[
    ("base", include_str!("../../../kernel/configs/base.config")),
    ("base-7.2", include_str!("../../../kernel/configs/base-7.2.config")),
    ("debug", include_str!("../../../kernel/configs/debug.config")),
    ("detectors", include_str!("../../../kernel/configs/detectors.config")),
    ("kasan", include_str!("../../../kernel/configs/kasan.config")),
    ("kunit", include_str!("../../../kernel/configs/kunit.config")),
    ("leaks", include_str!("../../../kernel/configs/leaks.config")),
    ("lockdep", include_str!("../../../kernel/configs/lockdep.config")),
    ("rust", include_str!("../../../kernel/configs/rust.config")),
    ("samples", include_str!("../../../kernel/configs/samples.config")),
];

pub fn fragment(name: &str) -> Option<&'static str> {
    FRAGMENTS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Whether the kernel/ folder `dir` (a project's) holds any file that is not byte for byte the
/// one zlab ships: then that project's kernels are built apart from everyone else's.
pub fn differs(dir: &Path) -> bool {
    let differs_from = |file: &Path, shipped: Option<&str>| match std::fs::read(file) {
        Ok(bytes) => shipped.map(str::as_bytes) != Some(bytes.as_slice()),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    };
    if differs_from(&dir.join("source.toml"), Some(SOURCE_PINS))
        || differs_from(&dir.join("variants.toml"), Some(VARIANTS))
    {
        return true;
    }
    let Ok(configs) = std::fs::read_dir(dir.join("configs")) else { return false };
    configs.filter_map(|e| e.ok()).any(|entry| {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".config"));
        name.is_some_and(|name| differs_from(&path, fragment(name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_kernel_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernel")
    }

    #[test]
    fn every_fragment_in_the_repository_is_shipped() {
        let mut on_disk: Vec<String> = std::fs::read_dir(repository_kernel_dir().join("configs"))
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".config").map(str::to_string))
            .collect();
        on_disk.sort();
        let shipped: Vec<&str> = FRAGMENTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn the_repository_itself_is_what_zlab_ships() {
        assert!(!differs(&repository_kernel_dir()));
    }

    #[test]
    fn a_changed_added_or_unreadable_file_differs() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!differs(dir.path()), "no kernel/ files at all");
        std::fs::create_dir(dir.path().join("configs")).unwrap();
        std::fs::write(dir.path().join("configs/base.config"), fragment("base").unwrap()).unwrap();
        std::fs::write(dir.path().join("variants.toml"), VARIANTS).unwrap();
        assert!(!differs(dir.path()), "copies of what zlab ships");
        std::fs::write(dir.path().join("configs/mine.config"), "CONFIG_X=y\n").unwrap();
        assert!(differs(dir.path()), "a fragment of its own");
        std::fs::remove_file(dir.path().join("configs/mine.config")).unwrap();
        std::fs::write(dir.path().join("source.toml"), "[kernel]\n").unwrap();
        assert!(differs(dir.path()), "another pin");
    }
}
