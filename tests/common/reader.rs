//! A real reader of a database it may not write: run as root (as in CI
//! containers), a command drops to the `nobody` account before it starts;
//! run as an ordinary user, the files are made read-only with their modes
//! instead, which `access(2)` then honours.

use super::Env;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Output;

pub const NOBODY: libc::uid_t = 65534;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Runs guardia as a user who may read the database: `nobody` when the
/// tests run as root, this user otherwise.
pub fn as_reader(env: &Env, args: &[&str]) -> Output {
    let mut cmd = env.std_cmd_as("ana");
    cmd.args(args);
    if is_root() {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(NOBODY) != 0
                    || libc::setuid(NOBODY) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.output().expect("run guardia")
}

/// The files in the database's folder.
pub fn files_beside(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.db.parent().expect("folder"))
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
