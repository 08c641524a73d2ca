//! Builds the real CLI, the C program tools/hodei-jobs-cli, with meson and
//! ninja into OUT_DIR, with libhodei linked statically: the binary needs
//! only Debian's shared libraries (libevent, sqlite3, nghttp2, protobuf-c),
//! not a libhodei.so. src/main.rs embeds it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{self, Command};

const TARGET: &str = "tools/hodei-jobs-cli/hodei-jobs-cli";

fn fail(msg: String) -> ! {
    eprintln!("\nhodei-jobs-cli: {}\n", msg);
    process::exit(1);
}

fn missing(tool: &str) -> ! {
    fail(format!(
        "`{}` was not found. Building the CLI needs meson, ninja, a C compiler and the \
         libraries in scripts/deps.txt: run ./scripts/setup.sh from the repository root \
         (as root, or with sudo), then run cargo again.",
        tool
    ));
}

fn run(cmd: &mut Command, tool: &str) {
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing(tool),
        Err(e) => fail(format!("cannot run {:?}: {}", cmd, e)),
    };
    if !status.success() {
        fail(format!("{:?} failed ({})", cmd, status));
    }
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../..").canonicalize().unwrap();
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let build = out.join("meson");

    // The C sources and meson files the CLI is built from (cargo scans
    // directories recursively).
    for p in [
        "meson.build",
        "meson_options.txt",
        "include",
        "lib",
        "proto",
        "tools",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }

    // A build dir whose setup did not finish is set up again from scratch.
    if !build.join("build.ninja").is_file() {
        if build.exists() {
            fs::remove_dir_all(&build).unwrap();
        }
        run(
            Command::new("meson")
                .arg("setup")
                .arg(&build)
                .arg(&root)
                .args([
                    "-Ddefault_library=static",
                    "-Dbuildtype=release",
                    "-Dwerror=false",
                    "-Dtests=false",
                    "-Ddocker_tests=disabled",
                ]),
            "meson",
        );
    }
    let mut ninja = Command::new("ninja");
    ninja.arg("-C").arg(&build);
    if let Ok(jobs) = env::var("NUM_JOBS") {
        ninja.arg("-j").arg(jobs);
    }
    run(ninja.arg(TARGET), "ninja");

    let built: &Path = &build.join(TARGET);
    fs::copy(built, out.join("hodei-jobs-cli")).unwrap();
}
