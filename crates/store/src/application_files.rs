//! The documents an application carries (the call's 需提交材料): PDF or images, the bytes in
//! the database so every server process sees the same files.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx};

/// What is known of an application's file without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFile {
    pub id: i64,
    pub application_id: i64,
    /// The call's name of the document this file is (e.g. 营业执照).
    pub requirement: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
}

pub struct NewFile<'a> {
    pub application_id: i64,
    pub requirement: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
}

const COLUMNS: &str =
    "id, application_id, requirement, filename, content_type, size, sha256, created_at";

fn from_row(row: &AnyRow) -> StoreResult<ApplicationFile> {
    Ok(ApplicationFile {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        requirement: row.try_get("requirement")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(tx: &mut WriteTx, file: &NewFile<'_>, at: &str) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO application_files (application_id, requirement, filename, content_type, size, sha256, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(file.application_id)
    .bind(file.requirement)
    .bind(file.filename)
    .bind(file.content_type)
    .bind(file.content.len() as i64)
    .bind(file.sha256)
    .bind(file.content.to_vec())
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// An application's files, oldest first.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    application_id: i64,
) -> StoreResult<Vec<ApplicationFile>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM application_files WHERE application_id = $1 ORDER BY id"
    ));
    sqlx::query(sql)
        .bind(application_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// A file with its bytes.
pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<(ApplicationFile, Vec<u8>)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, content FROM application_files WHERE id = $1"
    ));
    let Some(row) = sqlx::query(sql).bind(id).fetch_optional(db).await? else {
        return Ok(None);
    };
    Ok(Some((from_row(&row)?, row.try_get("content")?)))
}

pub async fn delete(tx: &mut WriteTx, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM application_files WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
