//! golden's embedded catalog: a SQLite database (`catalog.db` in golden's data directory, WAL
//! mode) holding locations, the entities each location holds (Backstage-shaped JSON) and their
//! relations. Writers take the database lock up front (`BEGIN IMMEDIATE`) and wait for each
//! other (busy timeout), so concurrent golden processes never lose a registration. An entity
//! belongs to one location: registering another location that holds the same entity is refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{json, Value};

use super::process::{self, Processed};
use super::{Catalog, Filter, Location, ReadContext, Registration, Unregistration};
use crate::error::{Error, Result};

/// How long a writer waits for another process holding the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS locations (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  target TEXT NOT NULL,
  registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  UNIQUE (type, target)
);
CREATE TABLE IF NOT EXISTS entities (
  ref TEXT PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_location ON entities(location_id);
CREATE TABLE IF NOT EXISTS relations (
  origin TEXT NOT NULL REFERENCES entities(ref) ON DELETE CASCADE,
  source TEXT NOT NULL,
  type TEXT NOT NULL,
  target TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS relations_source ON relations(source);
CREATE INDEX IF NOT EXISTS relations_origin ON relations(origin);
PRAGMA user_version = 1;
";

/// The embedded catalog. The database file is created by the first registration; reading a
/// catalog that does not exist yet finds nothing and creates nothing.
pub struct Local {
    path: PathBuf,
    conn: std::cell::OnceCell<Connection>,
    /// For reading catalog files.
    context: ReadContext,
}

fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::internal(format!(
        "the local catalog `{}` failed: {e}",
        path.display()
    ))
    .hint("if the file is damaged, move it away: golden creates a new, empty catalog")
}

impl Local {
    /// The catalog `catalog.db` in `home` (golden's data directory), reading catalog files with
    /// `context`.
    pub fn open(home: &Path, context: ReadContext) -> Local {
        Local {
            path: home.join("catalog.db"),
            conn: std::cell::OnceCell::new(),
            context,
        }
    }

    /// The connection, opening (and with `create`, creating) the database first. `None` when
    /// the file does not exist and `create` is false.
    fn conn(&self, create: bool) -> Result<Option<&Connection>> {
        if let Some(c) = self.conn.get() {
            return Ok(Some(c));
        }
        if !create && !self.path.exists() {
            return Ok(None);
        }
        let c = connect(&self.path)?;
        Ok(Some(self.conn.get_or_init(|| c)))
    }

    fn writer(&self) -> Result<&Connection> {
        Ok(self.conn(true)?.expect("created on demand"))
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(&self.path, e)
    }

    /// Stores `entities` as the content of `location` in one transaction: refuses entities owned
    /// by another location, replaces what the location held before.
    fn store(&self, location: &Location, entities: &[Processed]) -> Result<bool> {
        let err = |e| db_error(&self.path, e);
        let tx = Transaction::new_unchecked(self.writer()?, TransactionBehavior::Immediate)
            .map_err(err)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM locations WHERE type = ?1 AND target = ?2",
                params![location.kind, location.target],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let mut conflicts = Vec::new();
        {
            let mut owner = tx
                .prepare("SELECT l.id, l.type, l.target FROM entities e JOIN locations l ON l.id = e.location_id WHERE e.ref = ?1")
                .map_err(err)?;
            for p in entities {
                let other: Option<(i64, String, String)> = owner
                    .query_row(params![p.entity_ref], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()
                    .map_err(err)?;
                if let Some((id, kind, target)) = other {
                    if Some(id) != existing {
                        conflicts.push(format!(
                            "{} is already registered from {kind}:{target}",
                            p.entity_ref
                        ));
                    }
                }
            }
        }
        if !conflicts.is_empty() {
            return Err(Error::usage(format!("{location} holds entities that another location already owns; nothing was registered"))
                .with_details(conflicts)
                .hint("rename the entity (metadata.name), or unregister the other location first: `golden catalog unregister REF`"));
        }
        let id = match existing {
            Some(id) => {
                tx.execute("DELETE FROM entities WHERE location_id = ?1", params![id])
                    .map_err(err)?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO locations (type, target) VALUES (?1, ?2)",
                    params![location.kind, location.target],
                )
                .map_err(err)?;
                tx.last_insert_rowid()
            }
        };
        {
            let mut put = tx
                .prepare(
                    "INSERT INTO entities (ref, location_id, kind, body) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            let mut rel = tx
                .prepare(
                    "INSERT INTO relations (origin, source, type, target) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for p in entities {
                let kind = p.entity["kind"].as_str().unwrap_or_default();
                // The run's secrets never reach the catalog file.
                let body = self.context.config.redactor.value(&p.entity).to_string();
                put.execute(params![p.entity_ref, id, kind, body])
                    .map_err(err)?;
                for r in &p.relations {
                    rel.execute(params![p.entity_ref, r.source, r.kind, r.target])
                        .map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)?;
        Ok(existing.is_some())
    }

    /// Every entity with its relations, by ref.
    fn load(&self, only: Option<&str>) -> Result<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        let Some(conn) = self.conn(false)? else {
            return Ok(out);
        };
        let (sql_e, sql_r) = match only {
            Some(_) => (
                "SELECT ref, body FROM entities WHERE ref = ?1",
                "SELECT source, type, target FROM relations WHERE source = ?1",
            ),
            None => (
                "SELECT ref, body FROM entities WHERE ?1 IS NULL",
                "SELECT source, type, target FROM relations WHERE ?1 IS NULL",
            ),
        };
        let mut stmt = conn.prepare(sql_e).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![only], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (r, body) = row.map_err(|e| self.err(e))?;
            let value: Value = serde_json::from_str(&body).map_err(|e| {
                Error::internal(format!(
                    "the local catalog holds a damaged entity `{r}`: {e}"
                ))
            })?;
            out.insert(r, value);
        }
        let mut rels: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut stmt = conn.prepare(sql_r).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![only], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (source, kind, target) = row.map_err(|e| self.err(e))?;
            rels.entry(source).or_default().push((kind, target));
        }
        for (r, entity) in out.iter_mut() {
            let mut list = rels.remove(r).unwrap_or_default();
            list.sort();
            list.dedup();
            entity["relations"] = Value::Array(
                list.into_iter()
                    .map(|(t, target)| json!({"type": t, "targetRef": target}))
                    .collect(),
            );
        }
        Ok(out)
    }
}

/// Opens the database in WAL mode with a busy timeout, creating the file and its tables if needed.
fn connect(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io("cannot create golden's data directory", dir, e))?;
    }
    let conn = Connection::open(path).map_err(|e| db_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(path, e))?;
    // Switching to WAL needs a moment alone with the file; it is persistent, so this only
    // waits when several processes create the catalog at once.
    let started = Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(db_error(path, e)),
        }
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(|e| db_error(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| db_error(path, e))?;
    if version < 1 {
        let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)
            .map_err(|e| db_error(path, e))?;
        tx.execute_batch(SCHEMA).map_err(|e| db_error(path, e))?;
        tx.commit().map_err(|e| db_error(path, e))?;
    }
    Ok(conn)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

impl Catalog for Local {
    fn describe(&self) -> String {
        format!("the local catalog (`{}`)", self.path.display())
    }

    fn context(&self) -> &ReadContext {
        &self.context
    }

    fn register(&self, location: &str) -> Result<Registration> {
        let location = Location::parse(location, &self.context.cwd)?;
        let entities = process::process(&location, &self.context.config)?;
        let already_registered = self.store(&location, &entities)?;
        Ok(Registration {
            location,
            entities: entities.into_iter().map(|p| p.entity).collect(),
            already_registered,
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Value>> {
        if let Some(Err(e)) = filter.owner_ref() {
            return Err(Error::usage(format!("--owner: {e}")));
        }
        Ok(self
            .load(None)?
            .into_values()
            .filter(|e| filter.matches(e))
            .collect())
    }

    fn get(&self, entity_ref: &str) -> Result<Option<Value>> {
        Ok(self.load(Some(entity_ref))?.into_values().next())
    }

    fn unregister(&self, entity_ref: &str) -> Result<Unregistration> {
        let err = |e| db_error(&self.path, e);
        let Some(conn) = self.conn(false)? else {
            return Err(
                Error::usage(format!("{entity_ref} is not in {}", self.describe()))
                    .hint("the local catalog is empty: `golden catalog register` adds to it"),
            );
        };
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(err)?;
        let found: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT l.id, l.type, l.target FROM entities e JOIN locations l ON l.id = e.location_id WHERE e.ref = ?1",
                params![entity_ref],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(err)?;
        let Some((id, kind, target)) = found else {
            return Err(
                Error::usage(format!("{entity_ref} is not in {}", self.describe()))
                    .hint("`golden catalog list` shows what is registered"),
            );
        };
        let removed: Vec<String> = {
            let mut stmt = tx
                .prepare("SELECT ref FROM entities WHERE location_id = ?1 ORDER BY ref")
                .map_err(err)?;
            let rows = stmt
                .query_map(params![id], |r| r.get::<_, String>(0))
                .map_err(err)?;
            rows.collect::<Result<_, _>>().map_err(err)?
        };
        tx.execute("DELETE FROM locations WHERE id = ?1", params![id])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Unregistration {
            location: Location { kind, target },
            removed,
        })
    }
}
