//! Search over the published lists. The index lives in the data directory and is derived
//! state: `rebuild` makes it again from the database at any time, from the newest published
//! list issue (its frozen, public snapshots: contacts masked).

use std::path::Path;

use zijin_domain::{Coded, RecordKind};
use zijin_search::{Document, SearchIndex};
pub use zijin_search::{Hit, SearchError};
use zijin_store::lists;

use crate::{App, AppError, AppResult};

fn index_error(error: SearchError) -> AppError {
    match error {
        SearchError::EmptyQuery => AppError::field("q", error.to_string()),
        other => AppError::Internal(other.to_string()),
    }
}

/// The text the index reads of a list entry: title, then the summary or description, the
/// keywords and the field's label.
fn document(entry: &lists::Entry, field_label: &str) -> Document {
    let snapshot: serde_json::Value = serde_json::from_str(&entry.snapshot).unwrap_or_default();
    let text = |key: &str| snapshot[key].as_str().unwrap_or_default().to_string();
    let keywords = snapshot["keywords"]
        .as_array()
        .map(|k| {
            k.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let description = match entry.kind {
        RecordKind::Achievement => text("summary"),
        RecordKind::Demand => text("description"),
    };
    Document {
        kind: entry.kind.code().to_string(),
        id: u64::try_from(entry.record_id).unwrap_or_default(),
        title: entry.title.clone(),
        body: format!("{description} {keywords} {field_label}"),
    }
}

/// Makes the index in `directory` again from the newest published issue; returns how many
/// records it holds.
pub async fn rebuild(app: &App, directory: &Path) -> AppResult<u64> {
    let pool = app.store.pool();
    let newest = lists::issues(pool)
        .await?
        .into_iter()
        .find(|issue| issue.published);
    let fields = zijin_store::records::technical_fields(pool).await?;
    let mut documents = Vec::new();
    if let Some(issue) = newest {
        for kind in [RecordKind::Achievement, RecordKind::Demand] {
            for entry in lists::all_entries(pool, issue.id, kind).await? {
                let label = fields
                    .iter()
                    .find(|f| f.code == entry.field)
                    .map(|f| f.label.clone())
                    .unwrap_or_default();
                documents.push(document(&entry, &label));
            }
        }
    }
    let directory = directory.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut index = SearchIndex::open_or_create(&directory)?;
        index.clear()?;
        index.upsert(&documents)?;
        index.commit()?;
        Ok::<u64, SearchError>(index.len())
    })
    .await
    .map_err(|error| AppError::Internal(format!("索引重建任务中断：{error}")))?
    .map_err(index_error)
}

/// The best `top` published records for `query` (achievements or demands or both); the index
/// is rebuilt first when the directory holds none.
pub async fn search(
    app: &App,
    directory: &Path,
    query: &str,
    kind: Option<RecordKind>,
    top: usize,
) -> AppResult<Vec<Hit>> {
    let holds_index = directory.join("meta.json").exists();
    if !holds_index {
        rebuild(app, directory).await?;
    }
    let directory = directory.to_path_buf();
    let query = query.to_string();
    tokio::task::spawn_blocking(move || {
        let index = SearchIndex::open_or_create(&directory)?;
        index.search(&query, kind.map(|k| k.code()), top.clamp(1, 100))
    })
    .await
    .map_err(|error| AppError::Internal(format!("检索任务中断：{error}")))?
    .map_err(index_error)
}
