//! The release artefacts `scripts/package.sh` builds (the wheel, the binary
//! archive, the npm packages, the pre-commit mirror), for the tests that
//! install them the way users do. They live in `target/dist`, or in
//! `$DDLINT_DIST`. `scripts/test.sh` builds them first and sets
//! `DDLINT_REQUIRE_DIST=1`, so there a missing artefact fails; a plain
//! `cargo test` without them skips these tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The artefact directory, or None (after saying so) when it was not built.
pub fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DDLINT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dist"));
    if wheel_in(&dir).is_some() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("DDLINT_REQUIRE_DIST").is_none(),
        "no ddlint {VERSION} wheel in {}: run scripts/package.sh",
        dir.display()
    );
    eprintln!(
        "skipping: no release artefacts in {} (scripts/package.sh builds them)",
        dir.display()
    );
    None
}

fn wheel_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("ddlint-{VERSION}-")) && n.ends_with("_x86_64.whl")
            })
        })
}

/// The x86_64 manylinux wheel.
pub fn wheel(dir: &Path) -> PathBuf {
    wheel_in(dir).expect("wheel")
}

/// The binary archive's name for `arch`, without `.tar.gz`.
pub fn archive_name(arch: &str) -> String {
    format!("ddlint-{VERSION}-{arch}-unknown-linux-gnu")
}

/// The packaged x86_64 binary, unpacked from its archive into `into`.
pub fn unpack_binary(dir: &Path, into: &Path) -> PathBuf {
    unpack_arch(dir, "x86_64", into)
}

/// The packaged binary of `arch`, unpacked from its archive into `into`.
pub fn unpack_arch(dir: &Path, arch: &str, into: &Path) -> PathBuf {
    let archive = dir.join(format!("{}.tar.gz", archive_name(arch)));
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(into)
        .output()
        .expect("tar");
    assert!(
        out.status.success(),
        "tar -xzf {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    into.join(archive_name(arch)).join("ddlint")
}

/// A PATH with `first`, the directory of the `python3` on PATH and the
/// system's directories only: no cargo, rustc or rustup (which live in
/// ~/.cargo/bin), so nothing run with it can compile Rust.
pub fn path_without_rust(first: &[&Path]) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = first.iter().map(|p| p.to_path_buf()).collect();
    if let Some(python) = which::which("python3")
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(python);
    }
    dirs.extend(
        ["/usr/local/bin", "/usr/bin", "/bin"]
            .iter()
            .map(PathBuf::from),
    );
    let path = std::env::join_paths(dirs).unwrap();
    for tool in ["cargo", "rustc", "rustup"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            !found.status.success(),
            "{tool} is on the stripped PATH: {}",
            String::from_utf8_lossy(&found.stdout)
        );
    }
    path
}
