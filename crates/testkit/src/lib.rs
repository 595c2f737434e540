//! Test support. Every storage test runs on both backends: [`BACKENDS`] lists them, and
//! [`TestDatabase::new`] makes a fresh, migrated database of either kind — a temporary SQLite
//! file, or a new PostgreSQL database on the server named by `ZIJIN_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped again afterwards.

pub mod smtp_sink;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sqlx::{Connection, Executor};
use zijin_app::{App, ManualClock};
use zijin_store::{AuditKey, Backend, Store};

pub use zijin_store::Backend::{Postgres, Sqlite};

/// Both backends, for `for backend in BACKENDS` loops.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ZIJIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// The audit key of every test database, as hex: give it to a `zijin` process
/// (`ZIJIN_AUDIT_KEY`) that works on a database a test wrote to.
pub const TEST_AUDIT_KEY_HEX: &str =
    "7a696a696e2d746573742d61756469742d6b65792d6e6f742d7365637265742e";

/// The audit key of every test database (fixed: tests need no secrets).
pub fn test_audit_key() -> AuditKey {
    AuditKey::from_hex(TEST_AUDIT_KEY_HEX).expect("64 hex digits")
}

/// A prefix every throw-away PostgreSQL database carries, so leftovers can be found.
pub const POSTGRES_TEST_PREFIX: &str = "zijin_test_";

/// A fresh, migrated database that disappears when dropped.
pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    pub backend: Backend,
    _directory: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let directory = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite:{}", directory.path().join("test.db").display());
                let store = Store::connect(&url)
                    .await
                    .expect("SQLite opens")
                    .with_audit_key(test_audit_key());
                store.migrate().await.expect("SQLite migrations apply");
                Self {
                    store,
                    url,
                    backend,
                    _directory: Some(directory),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                let mut bytes = [0u8; 6];
                getrandom::fill(&mut bytes).expect("random bytes");
                let name = format!("{POSTGRES_TEST_PREFIX}{}", hex::encode(bytes));
                let admin_url = postgres_admin_url();
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|error| {
                        panic!("PostgreSQL at {admin_url} is needed for tests: {error}")
                    });
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                let url = replace_database(&admin_url, &name);
                let store = Store::connect(&url)
                    .await
                    .expect("PostgreSQL opens")
                    .with_audit_key(test_audit_key());
                store.migrate().await.expect("PostgreSQL migrations apply");
                Self {
                    store,
                    url,
                    backend,
                    _directory: None,
                    postgres_name: Some(name),
                }
            }
        }
    }
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = base
        .rsplit_once('/')
        .map(|(prefix, _)| prefix)
        .unwrap_or(base);
    format!("{prefix}/{database}{query}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop may run on the test's only runtime thread, so a helper thread with its own runtime
        // does the cleanup; FORCE ends the pool's connections from the server side (closing the
        // pool here would wait for the blocked runtime).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
            Ok::<(), std::io::Error>(())
        })
        .join();
    }
}

/// When tests start: a fixed, readable moment.
pub fn test_start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// An application over a fresh database, with a clock the test controls.
pub struct TestContext {
    pub database: TestDatabase,
    pub app: App,
    pub clock: Arc<ManualClock>,
}

impl TestContext {
    pub async fn new(backend: Backend) -> Self {
        let database = TestDatabase::new(backend).await;
        let clock = Arc::new(ManualClock::new(test_start_time()));
        let app = App::new(database.store.clone(), clock.clone());
        Self {
            database,
            app,
            clock,
        }
    }
}

/// The real web application, serving on a free port of 127.0.0.1.
pub struct TestServer {
    pub context: TestContext,
    pub address: String,
    server: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app(backend: Backend) -> TestServer {
    spawn_app_with(backend, zijin_web::WebConfig::default()).await
}

/// The web application with these settings (trusted proxies, secure cookies …), serving with
/// the peer address known as the real server does.
pub async fn spawn_app_with(backend: Backend, config: zijin_web::WebConfig) -> TestServer {
    let context = TestContext::new(backend).await;
    let app = context.app.clone().with_policies(shipped_policies());
    let router = zijin_web::router(app, config)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    TestServer {
        context,
        address,
        server,
    }
}

/// The text of a PDF as poppler's `pdftotext` reads it (Debian poppler-utils, installed by
/// `scripts/test`), with whitespace removed: extraction guesses spaces between CJK characters.
pub fn pdf_text(pdf: &[u8]) -> String {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("read.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (Debian poppler-utils): {e}"));
    assert!(output.status.success(), "pdftotext failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The policy files of the repository (`policy/`), compiled.
pub fn shipped_policies() -> zijin_policy::PolicySet {
    let read = |directory: &std::path::Path| -> Vec<zijin_policy::SourceFile> {
        let mut files: Vec<zijin_policy::SourceFile> = std::fs::read_dir(directory)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .map(|p| zijin_policy::SourceFile {
                        name: p.display().to_string(),
                        text: std::fs::read_to_string(&p).expect("policy file"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    };
    // The running test's package (cargo sets it at run time); any crates/X lies two levels down.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let root = std::path::Path::new(&manifest).join("../../policy");
    zijin_policy::PolicySet::compile(&read(&root), &read(&root.join("supplements")))
        .unwrap_or_else(|problems| panic!("policy files: {problems:#?}"))
}
