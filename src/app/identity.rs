//! Who is acting. `--as`, else `GUARDIA_USER`, else the OS login. An operator
//! that lists `logins` can only be used from those OS accounts, unless the OS
//! account belongs to an operator allowed to act as others; an operator with
//! no `logins` can be used from any account (a single-user machine).

use super::AppError;
use crate::config::{Config, Operator};

/// The OS account running this process.
pub fn os_login() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
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
        return cfg
            .operator_by_login(login)
            .or_else(|| cfg.operator(login))
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

    fn cfg_with_logins() -> Config {
        let sources = crate::config::DEFAULT_FILES
            .iter()
            .map(|(name, text)| {
                let text = if *name == "operators.toml" {
                    text.replacen("id = \"ana\"", "id = \"ana\"\nlogins = [\"atorres\"]", 1)
                        .replacen("id = \"ines\"", "id = \"ines\"\nlogins = [\"imarin\"]", 1)
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
        assert!(matches!(
            resolve(&cfg, Some("nobody"), "atorres").unwrap_err(),
            AppError::Unknown { .. }
        ));
    }
}
