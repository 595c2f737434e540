//! Search and matching over the records. The index lives in the data directory and is derived
//! state: made from the database when missing or unreadable (`Search::open`), again on demand
//! (`rebuild`), and kept current by following the change feed the database's triggers write
//! (`catch_up`, run by `follow` within a fraction of a second of a change; on PostgreSQL a
//! NOTIFY wakes it at once, so every server process keeps its own index current).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use zijin_domain::{Coded, RecordKind};
pub use zijin_embed::Embedder;
use zijin_search::{Document, FieldLabels, Opened, Profile, Scope, SearchIndex, Seeker};
pub use zijin_search::{
    FACETS, Hit, MatchConfig, Recommendation, SearchError, SearchRequest, SearchResults, Sort,
};
use zijin_store::search_feed::{self, IndexedRecord, RecordForIndex};

use crate::{Actor, App, AppError, AppResult};

mod semantic;

use semantic::{Embedding, Semantic};
pub use semantic::{EmbeddingProgress, ModelState};

/// Records read from the database per batch when the index is rebuilt.
const REBUILD_BATCH: i64 = 5_000;
/// Changes re-read behind the watermark on every catch-up: on PostgreSQL a transaction can
/// commit after a later one, so a change numbered below the watermark may appear late.
/// Indexing a record twice is harmless.
const LOOKBACK: i64 = 200;
/// Changes read per query while catching up.
const CATCH_UP_BATCH: i64 = 10_000;

fn index_error(error: SearchError) -> AppError {
    match error {
        SearchError::EmptyQuery => AppError::field("q", error.to_string()),
        other => AppError::Internal(other.to_string()),
    }
}

/// The process's search index and matcher configuration.
pub struct Search {
    index: SearchIndex,
    config: MatchConfig,
    /// Serialises catch-ups within the process, and holds the change numbers already applied
    /// within the look-back window.
    catching_up: tokio::sync::Mutex<BTreeSet<i64>>,
    /// The semantic signal, once a model is loaded (at start, or when a fetch finishes) and
    /// the configuration leaves it on.
    semantic: OnceLock<Semantic>,
    /// Where the model is, for pages and the log (fetching, unavailable …).
    model: Mutex<ModelState>,
    /// The records whose vectors are to be computed, and how far that has come.
    embedding: Arc<Embedding>,
    /// The index's directory (the vectors' file is kept in it).
    directory: PathBuf,
}

/// What an index holds of a record: text, visibility, facets and the matcher's profile.
pub fn document(entry: &RecordForIndex) -> Document {
    let (kind, id, owner, status, title, body, updated_at, profile) = match &entry.record {
        IndexedRecord::Achievement(a) => {
            let d = &a.details;
            (
                RecordKind::Achievement,
                a.id,
                a.institution_id,
                a.status,
                d.title.clone(),
                format!("{} {}", d.summary, d.keywords.join(" ")),
                a.updated_at.clone(),
                Profile {
                    field: d.field.clone(),
                    trl: Some(d.trl.level()),
                    price_fen: match d.price {
                        zijin_domain::Price::Amount(money) => Some(money.fen()),
                        zijin_domain::Price::Negotiable => None,
                    },
                    modes: d
                        .transfer_modes
                        .iter()
                        .map(|m| m.code().to_string())
                        .collect(),
                    district: entry.district.clone(),
                    keywords: d.keywords.clone(),
                    ..Profile::default()
                },
            )
        }
        IndexedRecord::Demand(demand) => {
            let d = &demand.details;
            (
                RecordKind::Demand,
                demand.id,
                demand.institution_id,
                demand.status,
                d.title.clone(),
                format!("{} {}", d.description, d.keywords.join(" ")),
                demand.updated_at.clone(),
                Profile {
                    field: d.field.clone(),
                    trl: d.wanted_trl.map(|t| t.level()),
                    budget_min_fen: d.budget_min.map(|m| m.fen()),
                    budget_max_fen: d.budget_max.map(|m| m.fen()),
                    modes: d
                        .cooperation_modes
                        .iter()
                        .map(|m| m.code().to_string())
                        .collect(),
                    district: entry.district.clone(),
                    keywords: d.keywords.clone(),
                    ..Profile::default()
                },
            )
        }
    };
    Document {
        kind: kind.code().to_string(),
        id: u64::try_from(id).unwrap_or_default(),
        title,
        body,
        owner: u64::try_from(owner).unwrap_or_default(),
        status: status.code().to_string(),
        institution_type: entry.institution_kind.clone(),
        date: zijin_store::parse_timestamp(&updated_at)
            .map(|at| at.timestamp())
            .unwrap_or_default(),
        profile,
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Internal(format!("检索任务中断：{error}")))?
        .map_err(index_error)
}

impl Search {
    /// Opens the index in `directory`; makes it from the database when it was missing or could
    /// not be read, otherwise brings it up to date with the change feed.
    ///
    /// With `model` (and `[semantic] enabled` in the configuration) the records' vectors are
    /// read from beside the index and the missing ones computed in the background.
    pub async fn open(
        app: &App,
        directory: &Path,
        config: MatchConfig,
        model: Option<Arc<Embedder>>,
    ) -> AppResult<Arc<Search>> {
        let path = directory.to_path_buf();
        let (index, opened) = blocking(move || SearchIndex::open(&path)).await?;
        let model_state = if config.semantic.enabled {
            ModelState::Absent
        } else {
            ModelState::Off
        };
        let search = Arc::new(Search {
            index,
            config,
            catching_up: tokio::sync::Mutex::new(BTreeSet::new()),
            semantic: OnceLock::new(),
            model: Mutex::new(model_state),
            embedding: Arc::default(),
            directory: directory.to_path_buf(),
        });
        if let Some(model) = model.filter(|_| search.config.semantic.enabled) {
            search.load_vectors(model).await?;
        }
        if let Opened::Recreated(reason) = &opened {
            tracing::warn!(%reason, "检索索引无法读取，已从数据库重建");
        }
        let mut rebuilt = false;
        if search.index.is_writable() {
            if opened != Opened::Existing || search.index.watermark().is_none() {
                // The rebuild compares the records with their vectors itself.
                search.rebuild(app).await?;
                rebuilt = true;
            } else {
                search.catch_up(app).await?;
            }
        }
        if search.semantic.get().is_some() && !rebuilt {
            search.sweep_and_embed().await?;
        } else if search.semantic.get().is_some() {
            Search::start_embedding(&search);
        }
        Ok(search)
    }

    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Makes the index again from every record in the database; returns how many it holds.
    /// `progress` hears (done, total) after each batch.
    pub async fn rebuild_with(
        &self,
        app: &App,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<u64> {
        let _guard = self.catching_up.lock().await;
        let pool = app.store.pool();
        // Changes after this point are caught up later; those before are in what is read.
        let watermark = search_feed::latest_change(pool).await?;
        let total = count_records(app).await?;
        self.index.clear().map_err(index_error)?;
        let mut done = 0u64;
        for kind in [RecordKind::Achievement, RecordKind::Demand] {
            let mut after = 0;
            loop {
                let batch = search_feed::records_after(pool, kind, after, REBUILD_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = match &last.record {
                    IndexedRecord::Achievement(a) => a.id,
                    IndexedRecord::Demand(d) => d.id,
                };
                let documents: Vec<Document> = batch.iter().map(document).collect();
                done += documents.len() as u64;
                self.index.upsert(&documents).map_err(index_error)?;
                progress(done, total);
            }
        }
        self.index.commit(Some(watermark)).map_err(index_error)?;
        if self.semantic.get().is_some() {
            // Vectors whose record's text is unchanged are kept; the others are computed again.
            let wanted = self.index.sweep_vectors().map_err(index_error)?;
            self.queue_vectors(wanted);
        }
        Ok(self.index.len())
    }

    pub async fn rebuild(&self, app: &App) -> AppResult<u64> {
        self.rebuild_with(app, &|_, _| {}).await
    }

    /// Applies the changes recorded since the index's watermark; returns how many records were
    /// indexed again. A read-only index (another process writes it) only refreshes its view.
    pub async fn catch_up(&self, app: &App) -> AppResult<usize> {
        if !self.index.is_writable() {
            self.index.refresh().map_err(index_error)?;
            return Ok(0);
        }
        let mut seen = self.catching_up.lock().await;
        let pool = app.store.pool();
        let mut watermark = self.index.watermark().unwrap_or(0);
        let mut from = (watermark - LOOKBACK).max(0);
        let mut applied = 0;
        let mut queued: Vec<(String, u64)> = Vec::new();
        loop {
            let changes = search_feed::changes_after(pool, from, CATCH_UP_BATCH).await?;
            let Some(newest) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut ids: HashMap<RecordKind, Vec<i64>> = HashMap::new();
            for change in changes.iter().filter(|c| !seen.contains(&c.seq)) {
                let list = ids.entry(change.kind).or_default();
                if !list.contains(&change.record_id) {
                    list.push(change.record_id);
                }
            }
            if !ids.is_empty() {
                for (kind, ids) in ids {
                    let records = search_feed::records_by_id(pool, kind, &ids).await?;
                    let documents: Vec<Document> = records.iter().map(document).collect();
                    for id in &ids {
                        if !documents.iter().any(|d| d.id == *id as u64) {
                            self.index
                                .remove(kind.code(), *id as u64)
                                .map_err(index_error)?;
                        }
                    }
                    applied += documents.len();
                    self.index.upsert(&documents).map_err(index_error)?;
                    // After the commit below the worker reads the records' new text (a record
                    // gone by then loses its vector).
                    queued.extend(ids.iter().map(|id| (kind.code().to_string(), *id as u64)));
                }
                watermark = watermark.max(newest);
                self.index.commit(Some(watermark)).map_err(index_error)?;
                self.queue_vectors(queued.drain(..));
                seen.extend(changes.iter().map(|c| c.seq));
            }
            if (changes.len() as i64) < CATCH_UP_BATCH {
                break;
            }
            from = newest;
        }
        let floor = watermark - LOOKBACK;
        seen.retain(|seq| *seq > floor);
        Ok(applied)
    }

    /// Keeps the index current until the process ends: catches up whenever PostgreSQL
    /// announces a change (NOTIFY zijin_records) and at least every `interval` otherwise.
    pub fn follow(self: &Arc<Self>, app: App, database_url: Option<String>, interval: Duration) {
        let search = self.clone();
        tokio::spawn(async move {
            let mut listener = match database_url {
                Some(url) => match search_feed::ChangeListener::connect(&url).await {
                    Ok(listener) => Some(listener),
                    Err(error) => {
                        tracing::warn!(%error, "无法连接 PostgreSQL 监听变更，改为定时检查");
                        None
                    }
                },
                None => None,
            };
            loop {
                if let Err(error) = search.catch_up(&app).await {
                    tracing::warn!(%error, "检索索引更新失败，稍后重试");
                }
                match listener.as_mut() {
                    Some(listener) => {
                        let _ = tokio::time::timeout(interval, listener.recv()).await;
                    }
                    None => tokio::time::sleep(interval).await,
                }
            }
        });
    }

    /// A search as `actor` may see it: published records, and an institution's own records.
    pub async fn search(
        self: &Arc<Self>,
        actor: &Actor,
        mut request: SearchRequest,
    ) -> AppResult<SearchResults> {
        request.scope = scope_of(actor);
        if request.sort == Sort::Relevance && !request.text.trim().is_empty() {
            request.vector = self.query_vector(&request.text).await?;
            request.similarity_floor = self.config.semantic.floor;
            request.similarity_margin = self.config.semantic.margin;
        }
        let this = self.clone();
        blocking(move || this.index.run(&request)).await
    }

    /// What to try instead when a search found nothing (up to `n` words the index holds).
    pub async fn suggestions(self: &Arc<Self>, text: &str, n: usize) -> AppResult<Vec<String>> {
        let this = self.clone();
        let text = text.to_string();
        blocking(move || Ok(this.index.suggestions(&text, n))).await
    }

    /// The best `top` achievements for a demand (kind Demand) or demands for an achievement,
    /// among reviewed records (approved or published).
    pub async fn recommend_for(
        self: &Arc<Self>,
        app: &App,
        kind: RecordKind,
        id: i64,
        top: usize,
    ) -> AppResult<Vec<Recommendation>> {
        let records = search_feed::records_by_id(app.store.pool(), kind, &[id]).await?;
        let record = records.first().ok_or(AppError::NotFound(match kind {
            RecordKind::Achievement => "科技成果",
            RecordKind::Demand => "技术需求",
        }))?;
        let document = document(record);
        let seeker = Seeker {
            text: format!("{} {}", document.title, document.body),
            profile: document.profile,
            own: None,
            vector: None,
        };
        let target = match kind {
            RecordKind::Achievement => "demand",
            RecordKind::Demand => "achievement",
        };
        self.recommend(app, &seeker, target, top).await
    }

    /// Published achievements for free text, optionally in a technical field.
    pub async fn recommend_for_text(
        self: &Arc<Self>,
        app: &App,
        text: &str,
        field: Option<&str>,
        top: usize,
    ) -> AppResult<Vec<Recommendation>> {
        let seeker = Seeker {
            text: text.to_string(),
            profile: Profile {
                field: field.unwrap_or_default().to_string(),
                ..Profile::default()
            },
            own: None,
            vector: None,
        };
        self.recommend(app, &seeker, "achievement", top).await
    }

    async fn recommend(
        self: &Arc<Self>,
        app: &App,
        seeker: &Seeker,
        target: &str,
        top: usize,
    ) -> AppResult<Vec<Recommendation>> {
        let fields = field_labels(app).await?;
        let this = self.clone();
        let mut seeker = seeker.clone();
        seeker.vector = self.query_vector(&seeker.text).await?;
        let target = target.to_string();
        blocking(move || {
            zijin_search::recommend(
                &this.index,
                &this.config,
                &fields,
                &seeker,
                &target,
                Scope::Listed,
                top.clamp(1, 100),
            )
        })
        .await
    }
}

/// The technical fields' labels by code.
pub async fn field_labels(app: &App) -> AppResult<FieldLabels> {
    Ok(zijin_store::records::technical_fields(app.store.pool())
        .await?
        .into_iter()
        .map(|f| (f.code, f.label))
        .collect())
}

async fn count_records(app: &App) -> AppResult<u64> {
    let n = search_feed::count_records(app.store.pool()).await?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Which records an actor's searches may return.
pub fn scope_of(actor: &Actor) -> Scope {
    match crate::access::search_owner(actor) {
        Some(id) => Scope::PublicAndOwn(u64::try_from(id).unwrap_or_default()),
        _ => Scope::Public,
    }
}
