//! hodei-jobs-cli as installed by `cargo install --path crates/cli`: the C
//! program tools/hodei-jobs-cli (built by build.rs) is embedded here and run
//! in place of this process with exec, with the same arguments (argv[0] as
//! given) and environment. Exec replaces the process, so stdin, stdout,
//! stderr, the exit status and signals are the C program's own.
//!
//! The binary goes into an anonymous memory file (memfd_create + fexecve);
//! where that is not available, into a private temporary file.

use std::ffi::{CString, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::raw::{c_char, c_int, c_uint};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::PathBuf;
use std::process;
use std::ptr;
use std::time::{SystemTime, UNIX_EPOCH};

static CLI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hodei-jobs-cli"));

const MFD_CLOEXEC: c_uint = 1;
const SIGPIPE: c_int = 13;
const SIG_DFL: usize = 0;

extern "C" {
    static environ: *const *const c_char;
    fn memfd_create(name: *const c_char, flags: c_uint) -> c_int;
    fn fexecve(fd: c_int, argv: *const *const c_char, envp: *const *const c_char) -> c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
    fn signal(signum: c_int, handler: usize) -> usize;
}

/// The C program in a memory file, or None where memfd_create fails.
fn memfd() -> Option<File> {
    let name = CString::new("hodei-jobs-cli").unwrap();
    let fd = unsafe { memfd_create(name.as_ptr(), MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut f = unsafe { File::from_raw_fd(fd) };
    f.write_all(CLI).ok()?;
    Some(f)
}

/// The C program in a new file only this user can read, in the temporary
/// directory; returns its path.
fn temp_file() -> io::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = std::env::temp_dir().join(format!("hodei-jobs-cli.{}.{}", process::id(), nanos));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(&path)?;
    if let Err(e) = f.write_all(CLI) {
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

fn main() {
    let args: Vec<CString> = std::env::args_os()
        .map(|a: OsString| CString::new(a.into_vec()).unwrap())
        .collect();
    let mut argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(ptr::null());

    // Rust's runtime ignores SIGPIPE; the C program gets the default back,
    // as it would have from a shell.
    unsafe { signal(SIGPIPE, SIG_DFL) };

    let err = if let Some(f) = memfd() {
        unsafe { fexecve(f.as_raw_fd(), argv.as_ptr(), environ) };
        io::Error::last_os_error()
    } else {
        match temp_file() {
            // Opened read-only and unlinked before exec, so nothing is left
            // behind; if exec from the descriptor fails, exec by path.
            Ok(path) => {
                let fd_err = match File::open(&path) {
                    Ok(f) => {
                        let _ = fs::remove_file(&path);
                        unsafe { fexecve(f.as_raw_fd(), argv.as_ptr(), environ) };
                        io::Error::last_os_error()
                    }
                    Err(e) => e,
                };
                match temp_file() {
                    Ok(path) => {
                        let c = CString::new(path.into_os_string().into_vec()).unwrap();
                        unsafe { execve(c.as_ptr(), argv.as_ptr(), environ) };
                        io::Error::last_os_error()
                    }
                    Err(_) => fd_err,
                }
            }
            Err(e) => e,
        }
    };
    eprintln!("hodei-jobs-cli: cannot run the embedded program: {}", err);
    process::exit(126);
}
