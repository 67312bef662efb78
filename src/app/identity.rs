//! Who is acting. `--as`, else `GUARDIA_USER`, else the OS login. An operator
//! that lists `logins` can only be used from those OS accounts, unless the OS
//! account belongs to an operator allowed to act as others; an operator with
//! no `logins` can be used from any account (a single-user machine).

use super::AppError;
use crate::config::{Config, Operator};

/// The OS account running this process, from its real user id (so setting
/// `USER` cannot impersonate anybody); the environment only as a fallback
/// when the account database has no entry (e.g. some containers).
pub fn os_login() -> String {
    // Test builds only: integration tests simulate several OS accounts
    // without root. Release builds never read this variable.
    #[cfg(debug_assertions)]
    if let Ok(login) = std::env::var("GUARDIA_TEST_OS_LOGIN")
        && !login.is_empty()
    {
        return login;
    }
    passwd_name(unsafe { libc::getuid() }).unwrap_or_else(|| {
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unknown".into())
    })
}

fn passwd_name(uid: libc::uid_t) -> Option<String> {
    let mut size = 4096;
    // A larger buffer when the entry does not fit (ERANGE), up to 1 MiB.
    while size <= 1 << 20 {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: passwd is plain data; getpwuid_r writes into `pwd` and
        // `buf`, whose length we pass, and sets `result` to null or `&pwd`.
        unsafe {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut result: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
            if rc == libc::ERANGE {
                size *= 4;
                continue;
            }
            if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
                return None;
            }
            return std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_str()
                .ok()
                .map(String::from);
        }
    }
    None
}

/// Resolves the acting operator; `requested` is `--as` or `GUARDIA_USER`.
pub fn resolve<'c>(
    cfg: &'c Config,
    requested: Option<&str>,
    login: &str,
) -> Result<&'c Operator, AppError> {
    let known = || {
        cfg.operators
            .iter()
            .map(|o| o.id.get_ref().clone())
            .collect()
    };
    let Some(id) = requested.filter(|s| !s.trim().is_empty()) else {
        // An operator whose id is the login counts only if it does not
        // restrict itself to other accounts.
        return cfg
            .operator_by_login(login)
            .or_else(|| cfg.operator(login).filter(|o| o.logins.is_empty()))
            .ok_or_else(|| AppError::NoIdentity {
                login: login.into(),
                known: known(),
            });
    };
    let op = cfg
        .operator(id)
        .ok_or_else(|| AppError::unknown("operator", id, known()))?;
    if op.logins.is_empty() || op.logins.iter().any(|l| l == login) {
        return Ok(op);
    }
    if cfg
        .operator_by_login(login)
        .is_some_and(|me| me.act_as_others)
    {
        return Ok(op);
    }
    Err(AppError::NotPermittedAs {
        login: login.into(),
        operator: id.into(),
        allowed: op.logins.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    /// Gives operator `id` the OS account `login` (replacing its `logins`).
    fn with_logins(text: &str, id: &str, login: &str) -> String {
        let start = text
            .find(&format!("id = \"{id}\""))
            .expect("operator in config");
        let rel = text[start..].find("logins = []").expect("logins line");
        let at = start + rel;
        format!(
            "{}logins = [\"{login}\"]{}",
            &text[..at],
            &text[at + "logins = []".len()..]
        )
    }

    fn cfg_with_logins() -> Config {
        let sources = crate::config::DEFAULT_FILES
            .iter()
            .map(|(name, text)| {
                let text = if *name == "operators.toml" {
                    with_logins(&with_logins(text, "ana", "atorres"), "ines", "imarin")
                } else {
                    text.to_string()
                };
                Source {
                    name,
                    path: None,
                    text,
                }
            })
            .collect();
        Config::from_sources(sources).expect("config")
    }

    #[test]
    fn the_os_account_comes_from_the_uid() {
        // Whatever USER says, the name is the uid's account when it has one.
        let by_uid = passwd_name(unsafe { libc::getuid() });
        if let Some(name) = by_uid
            && std::env::var("GUARDIA_TEST_OS_LOGIN").is_err()
        {
            assert_eq!(os_login(), name);
        }
    }

    #[test]
    fn open_operators_can_be_used_by_anyone() {
        let cfg = Config::builtin().expect("config");
        assert_eq!(
            resolve(&cfg, Some("ana"), "root").expect("ok").id.get_ref(),
            "ana"
        );
    }

    #[test]
    fn logins_restrict_who_acts_as_whom() {
        let cfg = cfg_with_logins();
        assert!(resolve(&cfg, Some("ana"), "atorres").is_ok());
        let e = resolve(&cfg, Some("ana"), "mallory").unwrap_err();
        assert!(matches!(e, AppError::NotPermittedAs { .. }), "{e}");
        // the supervisor's account (act_as_others) may act as ana
        assert!(resolve(&cfg, Some("ana"), "imarin").is_ok());
        // without --as, the OS login picks the operator
        assert_eq!(
            resolve(&cfg, None, "atorres").expect("ok").id.get_ref(),
            "ana"
        );
        assert!(matches!(
            resolve(&cfg, None, "mallory").unwrap_err(),
            AppError::NoIdentity { .. }
        ));
        // an account named like an operator restricted to other accounts is not it
        assert!(matches!(
            resolve(&cfg, None, "ana").unwrap_err(),
            AppError::NoIdentity { .. }
        ));
        assert!(matches!(
            resolve(&cfg, Some("nobody"), "atorres").unwrap_err(),
            AppError::Unknown { .. }
        ));
    }
}
