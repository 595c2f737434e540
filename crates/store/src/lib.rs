//! Storage of the Zijin platform on SQLite (embedded default) and PostgreSQL (production).
//!
//! One code path serves both backends through sqlx's `any` driver: queries use `$1`-style
//! parameters, which both SQLite and PostgreSQL accept, and only portable column types
//! (integers, text). Each backend has its own migration directory because DDL differs.
//! Every write goes through [`Store::begin_write`] so the audit chain stays serial.

pub mod attachments;
pub mod audit;
pub mod exports;
pub mod institutions;
pub mod lists;
pub mod matches;
mod query;
pub mod records;
pub mod search_feed;
pub mod sessions;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

pub use query::Paged;

/// A transaction that may write.
pub type WriteTx = sqlx::Transaction<'static, Any>;

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
        StoreError::Database(error)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database: a connection pool and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite:PATH` or `postgres://…`), creating an SQLite file if missing.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
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
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection
                            .execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
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
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
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
