//! Storage of the Zijin platform on SQLite (embedded default) and PostgreSQL (production).
//!
//! One code path serves both backends through sqlx's `any` driver: queries use `$1`-style
//! parameters, which both SQLite and PostgreSQL accept, and only portable column types
//! (integers, text). Each backend has its own migration directory because DDL differs.
//! Every write goes through [`Store::begin_write`] so the audit chain stays serial.

pub mod api_keys;
pub mod application_files;
pub mod applications;
pub mod attachments;
pub mod audit;
pub mod carriers;
pub mod catalogue;
pub mod contracts;
pub mod districts;
pub mod experts;
pub mod exports;
pub mod institutions;
pub mod lists;
pub mod login_throttle;
pub mod match_messages;
pub mod matches;
pub mod notices;
pub mod notifications;
mod query;
pub mod records;
pub mod search_feed;
pub mod secrets;
pub mod sessions;
pub mod tech_managers;
pub mod users;
pub mod white_list;

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
pub use query::Paged;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, ConnectOptions, Executor};
pub use zijin_domain::AuditKey;

/// A transaction that may write. It carries its store's audit key, so every audit entry
/// appended in it is signed without each use case handling the key. Dereferences to the
/// connection, as sqlx's transaction does (`&mut **tx` and `&mut *tx` are executors).
pub struct WriteTx {
    tx: sqlx::Transaction<'static, Any>,
    audit_key: Option<Arc<AuditKey>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    pub(crate) fn audit_key(&self) -> StoreResult<&AuditKey> {
        self.audit_key.as_deref().ok_or(StoreError::NoAuditKey)
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl AsMut<AnyConnection> for WriteTx {
    fn as_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Database(#[source] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A unique constraint refused the write; the name says which.
    #[error("违反唯一约束：{constraint}")]
    Duplicate { constraint: String },
    /// A stored value no longer parses: the database was changed behind the platform's back.
    #[error("数据库中的记录无效：{0}")]
    Corrupt(String),
    #[error("不支持的数据库地址：{0}（应以 sqlite: 或 postgres:// 开头）")]
    UnsupportedUrl(String),
    /// A write was attempted on a store opened without the audit key (a wiring mistake).
    #[error("未配置审计密钥，不能写入审计记录")]
    NoAuditKey,
    /// Another writer held the database longer than we wait (`StoreOptions::lock_wait`), or
    /// PostgreSQL gave up on a lock or a serialisation: nothing was written; try again later.
    #[error("数据库正忙：{0}")]
    Busy(String),
}

/// Whether a database error only means that another writer was in the way: SQLite's
/// SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) after the busy timeout, PostgreSQL's
/// serialization failure, deadlock or lock timeout.
fn is_busy(error: &(dyn sqlx::error::DatabaseError + 'static)) -> bool {
    let Some(code) = error.code() else {
        return false;
    };
    if error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // Extended result codes keep the primary code in their low byte.
        return code
            .parse::<i32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6));
    }
    error
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
        && matches!(code.as_ref(), "40001" | "40P01" | "55P03")
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(database_error) = &error
            && database_error.is_unique_violation()
        {
            return StoreError::Duplicate {
                constraint: database_error
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| database_error.message().to_string()),
            };
        }
        match &error {
            sqlx::Error::Database(database_error) if is_busy(database_error.as_ref()) => {
                StoreError::Busy(database_error.message().to_string())
            }
            // Every connection of the pool is waiting for the lock too.
            sqlx::Error::PoolTimedOut => StoreError::Busy(error.to_string()),
            _ => StoreError::Database(error),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How a store waits for other writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a statement waits for a lock another writer holds before it fails with
    /// [`StoreError::Busy`]: SQLite's busy timeout, PostgreSQL's `lock_timeout`; also how long
    /// a request waits for a free connection. A CLI bulk import holds SQLite's write lock for
    /// its whole transaction, so this is generous: a web write made meanwhile waits and then
    /// succeeds rather than fail.
    pub lock_wait: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            lock_wait: Duration::from_secs(30),
        }
    }
}

/// The database: a connection pool and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Signs the audit chain; kept outside the database by whoever opens the store.
    audit_key: Option<Arc<AuditKey>>,
}

impl Store {
    /// Connects to `url` (`sqlite:PATH` or `postgres://…`), creating an SQLite file if missing.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, StoreOptions::default()).await
    }

    /// Connects as [`Store::connect`] does, waiting for other writers as `options` says.
    pub async fn connect_with(url: &str, options: StoreOptions) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let lock_wait_ms = options.lock_wait.as_millis();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let connect_options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(options.lock_wait)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    // Numbers only (from a Duration), so formatting them into SQL is safe.
                    let settings = match backend {
                        Backend::Sqlite => format!(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = {lock_wait_ms}; PRAGMA synchronous = NORMAL;"
                        ),
                        Backend::Postgres => format!("SET lock_timeout = {lock_wait_ms}"),
                    };
                    connection.execute(AssertSqlSafe(settings)).await?;
                    Ok(())
                })
            })
            .connect_with(connect_options)
            .await?;
        Ok(Self {
            pool,
            backend,
            audit_key: None,
        })
    }

    /// The same store, signing audit entries with `key` (every writer of one database must
    /// use the same key).
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = Some(Arc::new(key));
        self
    }

    pub fn audit_key(&self) -> StoreResult<&AuditKey> {
        self.audit_key.as_deref().ok_or(StoreError::NoAuditKey)
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers wait for each other instead of failing mid-way.
    pub async fn begin_write(&self) -> StoreResult<WriteTx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            audit_key: self.audit_key.clone(),
        })
    }

    /// Reads one PRAGMA of the SQLite connection (for checks and diagnostics).
    pub async fn sqlite_pragma(&self, name: &'static str) -> StoreResult<String> {
        let sql = match name {
            "journal_mode" => "PRAGMA journal_mode",
            "foreign_keys" => "SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys",
            _ => return Err(StoreError::Corrupt(format!("unknown pragma {name}"))),
        };
        let value: (String,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
        Ok(value.0)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The one timestamp format stored: UTC, RFC 3339, milliseconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored timestamp.
pub fn parse_timestamp(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("时间格式无效：{text}")))
}
