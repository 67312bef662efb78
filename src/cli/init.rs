//! `guardia init`: a new database, built beside its path and moved there
//! only when complete, so that neither a failure nor an interruption (Ctrl-C
//! during `--demo`, a closed SSH session) leaves a half-made database in the
//! way of the next `init`; and two `init`s on one path cannot mix their work.

use super::args::InitArgs;
use super::{output_lost, print, write_config_copies};
use crate::app::{self, App, Clock};
use crate::config::{Config, Lang};
use crate::store::{Store, StoreError};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn init(
    config: &Config,
    cfg_dir: Option<&Path>,
    db: &Path,
    a: &InitArgs,
    clock: Clock,
    lang: Lang,
) -> Result<ExitCode> {
    let code = a
        .site
        .clone()
        .unwrap_or_else(|| config.settings.defaults.site_code.clone());
    if !crate::domain::site::valid_site_code(&code) {
        bail!("site code '{code}' must be 2 to 8 capital letters, like BOG");
    }
    let joining = match &a.join {
        Some(file) => Some(app::sync::dataset_of(file)?),
        None => None,
    };
    if let Some((_, site_code)) = &joining
        && site_code.eq_ignore_ascii_case(&code)
    {
        bail!(
            "site code {code} is already used by the site you join; choose another with --site (ticket keys must differ between sites)"
        );
    }
    nothing_in_the_way(db)?;
    let Some(_lock) = BuildLock::try_take(db)? else {
        bail!(
            "another `guardia init` is creating {} right now; wait for it to finish, then use that database",
            db.display()
        );
    };
    let staging = Store::staging_path(db);
    clear_leftover(&staging, "guardia init")?;
    let store = Store::create_in(&staging, &code, joining.as_ref().map(|(d, _)| d.as_str()))
        .map_err(|e| e.about(db))?;
    let es = lang == Lang::Es;
    let mut msg = if es {
        format!(
            "base de datos {} creada para la sede {code}\n",
            db.display()
        )
    } else {
        format!("created database {} for site {code}\n", db.display())
    };
    let filled = fill(config, cfg_dir, store, a, joining.as_ref(), clock, lang);
    match filled {
        Ok(more) => msg.push_str(&more),
        Err(e) => {
            // Leave nothing half-made behind: `init` can simply run again.
            Store::remove_files(&staging);
            return Err(e);
        }
    }
    Store::publish_staged(&staging, db).inspect_err(|_| Store::remove_files(&staging))?;
    // The database exists now: a lost confirmation must not read as a
    // failed init (the fingerprint of a joined site is in it, too).
    print(&msg).map_err(output_lost)?;
    Ok(ExitCode::SUCCESS)
}

/// Joins the dataset, or writes the configuration copies and the example
/// tickets; returns what to tell about it. Consumes the store, so the
/// database is closed (its WAL folded in) before it is moved.
fn fill(
    config: &Config,
    cfg_dir: Option<&Path>,
    store: Store,
    a: &InitArgs,
    joining: Option<&(String, String)>,
    clock: Clock,
    lang: Lang,
) -> Result<String> {
    let mut msg = String::new();
    let es = lang == Lang::Es;
    if let (Some(file), Some((dataset, other))) = (&a.join, joining) {
        let mut app = App::new(config.clone(), store, clock, lang);
        let trusted = app.trust(&file.to_string_lossy())?;
        let fingerprint = trusted
            .pubkey
            .as_deref()
            .map(crate::sync::keys::fingerprint)
            .unwrap_or_default();
        msg.push_str(&if es {
            format!(
                "unida al conjunto de datos {dataset}, con confianza en la sede {other} (huella de la clave {fingerprint}); sincronice para recibir sus tickets\n"
            )
        } else {
            format!(
                "joined dataset {dataset}, trusting site {other} (key fingerprint {fingerprint}); sync to receive its tickets\n"
            )
        });
        // A joining site takes the dataset's procedures from the other
        // sites, not the built-in copies; but a folder named and missing
        // would stop every later command, so it is made, empty.
        if let Some(dir) = cfg_dir
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the configuration folder {}", dir.display())
            })?;
            msg.push_str(&if es {
                format!(
                    "carpeta de configuración {} creada, vacía: hasta que copie allí los archivos de las otras sedes (los mismos procedimientos en todas), rigen los incorporados\n",
                    dir.display()
                )
            } else {
                format!(
                    "created the configuration folder {}, empty: until you copy the other sites' files there (the same procedures everywhere), the built-in ones apply\n",
                    dir.display()
                )
            });
        }
        return Ok(msg);
    }
    if let Some(dir) = cfg_dir {
        let written = write_config_copies(dir)?;
        if written > 0 {
            msg.push_str(&if es {
                format!(
                    "{written} archivo(s) de configuración editables escritos en {}\n",
                    dir.display()
                )
            } else {
                format!(
                    "wrote {written} editable configuration file(s) to {}\n",
                    dir.display()
                )
            });
        }
    }
    if a.demo {
        let mut app = App::new(config.clone(), store, clock, lang);
        let (tickets, ops) = app::generate::generate(
            &mut app,
            a.tickets,
            42,
            app::generate::History::Full,
            |_| {},
        )?;
        msg.push_str(&if es {
            format!("{tickets} tickets de ejemplo añadidos ({ops} cambios)\n")
        } else {
            format!("added {tickets} example tickets ({ops} changes)\n")
        });
    }
    Ok(msg)
}

/// Refuses a path that holds anything, each case with what to do.
fn nothing_in_the_way(db: &Path) -> Result<(), StoreError> {
    let Ok(meta) = std::fs::symlink_metadata(db) else {
        return Ok(());
    };
    if meta.is_dir() || db.is_dir() {
        return Err(StoreError::IsAFolder { path: db.into() });
    }
    if meta.file_type().is_symlink() && !db.exists() {
        return Err(StoreError::DanglingLink {
            path: db.into(),
            target: std::fs::read_link(db).unwrap_or_default(),
        });
    }
    if meta.len() == 0 && meta.is_file() {
        return Err(StoreError::Empty { path: db.into() });
    }
    // A device or a pipe (`--db /dev/null`) is no database to keep.
    if std::fs::metadata(db).is_ok_and(|m| !m.is_file()) {
        return Err(StoreError::NotARegularFile { path: db.into() });
    }
    Err(StoreError::Exists { path: db.into() })
}

/// Removes what an interrupted build left at `staging` (only ever run
/// under the [`BuildLock`], so no other process is writing it); `retry` is
/// the command to run again once the operator has cleared the way.
pub(super) fn clear_leftover(staging: &Path, retry: &str) -> Result<()> {
    Store::remove_files(staging);
    if std::fs::symlink_metadata(staging).is_ok() {
        bail!(
            "cannot clear {}, left by an earlier interrupted run: it is not a file guardia made; remove it, then run `{retry}` again",
            staging.display()
        );
    }
    Ok(())
}

/// An exclusive lock on `.NAME.init.lock` beside a database, held while one
/// process builds it (`init`, or a first run making the example database).
/// The operating system drops it when the process ends, however it ends,
/// so a killed build never blocks the next one.
pub(super) struct BuildLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl BuildLock {
    /// Takes the lock for building `db`, or `None` at once when another
    /// process holds it.
    pub(super) fn try_take(db: &Path) -> Result<Option<BuildLock>, StoreError> {
        Self::take(db, false)
    }

    /// Takes the lock for building `db`, waiting for the process that holds
    /// it to finish (or to die).
    pub(super) fn wait(db: &Path) -> Result<BuildLock, StoreError> {
        loop {
            if let Some(lock) = Self::take(db, true)? {
                return Ok(lock);
            }
        }
    }

    fn take(db: &Path, wait: bool) -> Result<Option<BuildLock>, StoreError> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let mut path = Store::staging_path(db).into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let failed = |cause| StoreError::Create {
            path: db.into(),
            cause,
        };
        Store::private_parent_dir(db)?;
        loop {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(failed)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) if wait => file.lock().map_err(failed)?,
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(cause)) => return Err(failed(cause)),
            }
            // The holder before us removes the file as it lets go (see
            // `Drop`): a lock on a removed file excludes nobody, since the
            // next process creates and locks a new one; take that instead.
            let held = file.metadata().map_err(failed)?;
            match std::fs::metadata(&path) {
                Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {
                    return Ok(Some(BuildLock { path, _file: file }));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(failed(e)),
            }
        }
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        // Removed while still held: whoever opened it meanwhile sees, once
        // it has the lock, that the file is gone, and starts over.
        let _ = std::fs::remove_file(&self.path);
    }
}
