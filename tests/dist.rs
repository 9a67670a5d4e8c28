//! The release artefacts of `scripts/package.sh`, installed the way users
//! install them, on this machine, with no Rust on PATH:
//! - the wheel into a fresh virtual environment (`pip install`), which must
//!   give the same report as the binary cargo builds;
//! - the binary, linked against nothing but glibc (no libssl), with the
//!   wheel's manylinux2014 platform tag as auditwheel read it;
//! - the archive and its checksum;
//! - the npm packages (launcher + platform package), whose `ddlint` passes
//!   arguments, output and exit status through.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use support::dist;

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `ddlint check fixtures/demo` with the binary cargo built: what every
/// packaged binary must print too.
fn reference_report() -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(["check", "--color", "never", "fixtures/demo"])
        .current_dir(env!("CARGO_MANIFEST_DIR")))
}

fn assert_same_report(out: &Output, what: &str) {
    let want = reference_report();
    assert_eq!(out.status.code(), want.status.code(), "{what}: exit status");
    assert_eq!(text(&out.stdout), text(&want.stdout), "{what}: report");
    assert!(
        text(&out.stdout).contains("require-concurrent-index"),
        "{what}"
    );
}

#[test]
fn wheel_installs_into_a_fresh_venv_without_rust() {
    let Some(dir) = dist::dir() else { return };
    let wheel = dist::wheel(&dir);
    let name = wheel.file_name().unwrap().to_str().unwrap();
    assert!(
        name.ends_with("-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"),
        "{name}"
    );
    let audit = std::fs::read_to_string(dir.join("auditwheel-x86_64.txt")).unwrap();
    assert!(
        audit.contains("is consistent with the following platform tag")
            && audit.contains("\"manylinux_2_17_x86_64\""),
        "{audit}"
    );
    let size = std::fs::metadata(&wheel).unwrap().len();
    assert!(size < 20 << 20, "{name} is {size} bytes");

    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let bin = venv.join("bin");
    let path = dist::path_without_rust(&[&bin]);
    let started = Instant::now();
    ok(Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .env("PATH", &path));
    ok(Command::new(bin.join("pip"))
        .args([
            "install",
            "--quiet",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(&wheel)
        .env("PATH", &path));
    let version = ok(Command::new("ddlint").arg("--version").env("PATH", &path));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("ddlint {}", dist::VERSION)
    );
    let report = run(Command::new("ddlint")
        .args(["check", "--color", "never", "fixtures/demo"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", &path));
    eprintln!(
        "{name}: {size} bytes; venv + pip install + first report in {:.1?}",
        started.elapsed()
    );
    assert_same_report(&report, "the wheel's ddlint");
    // The installed command is the binary itself, not a Python wrapper.
    let installed = std::fs::read(bin.join("ddlint")).unwrap();
    assert_eq!(&installed[..4], b"\x7fELF");
}

#[test]
fn binary_needs_only_glibc() {
    let Some(dir) = dist::dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let binary = dist::unpack_binary(&dir, tmp.path());
    let ldd = text(&ok(Command::new("ldd").arg(&binary)).stdout);
    eprintln!("ldd {}:\n{ldd}", binary.display());
    for line in ldd.lines() {
        let lib = line.split_whitespace().next().unwrap_or("");
        let allowed = [
            "linux-vdso.so.1",
            "libc.so.6",
            "libm.so.6",
            "libpthread.so.0",
            "libdl.so.2",
            "librt.so.1",
            "libgcc_s.so.1",
            "/lib64/ld-linux-x86-64.so.2",
        ];
        assert!(allowed.contains(&lib), "{lib} is not part of glibc:\n{ldd}");
    }
    // OpenSSL is inside (dry-run's TLS), not a shared library.
    let bytes = std::fs::read(&binary).unwrap();
    let needle = b"OpenSSL 3.";
    assert!(
        bytes.windows(needle.len()).any(|w| w == needle),
        "no OpenSSL inside the binary"
    );
    // The archive: README and the version, and a checksum that verifies.
    let archive_dir = binary.parent().unwrap();
    assert!(archive_dir.join("README.md").exists());
    let version = ok(Command::new(&binary).arg("--version"));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("ddlint {}", dist::VERSION)
    );
    ok(Command::new("sha256sum")
        .args(["--check", "--quiet", "SHA256SUMS"])
        .current_dir(&dir));
    ok(Command::new("sha256sum")
        .arg("--check")
        .arg("--quiet")
        .arg(format!("{}.tar.gz.sha256", dist::archive_name("x86_64")))
        .current_dir(&dir));
}

#[test]
fn npm_package_runs_the_platform_binary() {
    let Some(dir) = dist::dir() else { return };
    if Command::new("npm").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("DDLINT_REQUIRE_DIST").is_none(),
            "npm is needed"
        );
        return;
    }
    let npm = dir.join("npm");
    let main = npm.join(format!("ddlint-{}.tgz", dist::VERSION));
    let platform = npm.join(format!("ddlint-cli-linux-x64-{}.tgz", dist::VERSION));
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        r#"{"name":"app","private":true}"#,
    )
    .unwrap();
    // Both packages from the files, nothing from the registry.
    ok(Command::new("npm")
        .args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--silent",
        ])
        .arg(&platform)
        .arg(&main)
        .current_dir(&project)
        .env("npm_config_cache", tmp.path().join("npm-cache")));
    let ddlint = project.join("node_modules/.bin/ddlint");
    let version = ok(Command::new(&ddlint).arg("--version"));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("ddlint {}", dist::VERSION)
    );
    let report = run(Command::new(&ddlint)
        .args(["check", "--color", "never", "fixtures/demo"])
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    assert_same_report(&report, "npm's ddlint");
    // A usage error keeps its exit status (2) through the launcher.
    let bad = run(Command::new(&ddlint).arg("--no-such-flag"));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));

    // Without the platform package, the launcher says what to do.
    std::fs::remove_dir_all(project.join("node_modules/@ddlint")).unwrap();
    let missing = run(Command::new(&ddlint).arg("--version"));
    assert_eq!(missing.status.code(), Some(2));
    let err = text(&missing.stderr);
    assert!(
        err.contains("@ddlint/cli-linux-x64 is not installed"),
        "{err}"
    );
    assert!(Path::new(&ddlint).exists());
}

/// The aarch64 build, when `scripts/package.sh` made one (a release does; CI
/// builds x86_64 only, for time): its wheel tag, and the same report as the
/// x86_64 binary, run under qemu-user with an aarch64 glibc (Debian's
/// qemu-user-static and libc6-arm64-cross).
#[test]
fn aarch64_binary_gives_the_same_report() {
    let Some(dir) = dist::dir() else { return };
    let wheel = format!(
        "ddlint-{}-py3-none-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        dist::VERSION
    );
    if !dir.join(&wheel).exists() {
        eprintln!("skipping: no aarch64 build in {}", dir.display());
        return;
    }
    let audit = std::fs::read_to_string(dir.join("auditwheel-aarch64.txt")).unwrap();
    assert!(audit.contains("\"manylinux_2_17_aarch64\""), "{audit}");
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    if Command::new("qemu-aarch64-static")
        .arg("--version")
        .output()
        .is_err()
        || !sysroot.exists()
    {
        eprintln!(
            "skipping the aarch64 run: no qemu-aarch64-static or {}",
            sysroot.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let binary = dist::unpack_arch(&dir, "aarch64", tmp.path());
    // ELF e_machine 183: EM_AARCH64.
    let elf = std::fs::read(&binary).unwrap();
    assert_eq!((&elf[..4], elf[18], elf[19]), (&b"\x7fELF"[..], 183, 0));
    let report = run(Command::new("qemu-aarch64-static")
        .arg("-L")
        .arg(sysroot)
        .arg(&binary)
        .args(["check", "--color", "never", "fixtures/demo"])
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    assert_same_report(&report, "the aarch64 binary");
}
