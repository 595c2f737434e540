//! The semantic signal of the platform's search: the sentence model (loaded at start or when a
//! background fetch finishes), the records' vectors kept beside the index, and the background
//! work that computes them.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use zijin_embed::Role;
use zijin_search::{SearchError, Vectors, text_hash};

use super::{Embedder, Search, blocking};
use crate::AppResult;

/// The sentence model and where the records' vectors are kept.
pub(super) struct Semantic {
    pub(super) embedder: Arc<Embedder>,
    /// The vectors' file beside the index; None when another process writes the index (this
    /// one then keeps the vectors it computes in memory only).
    file: Option<PathBuf>,
}

/// The background work of computing the records' vectors: a record is searchable by its
/// words as soon as it is indexed, and semantically once its vector is ready.
#[derive(Default)]
pub(super) struct Embedding {
    queue: Mutex<EmbeddingQueue>,
    wake: Condvar,
}

#[derive(Default)]
pub(super) struct EmbeddingQueue {
    waiting: VecDeque<(String, u64)>,
    queued: HashSet<(String, u64)>,
    /// Vectors computed since the process started.
    done: u64,
    /// Whether a batch is being computed now.
    busy: bool,
}

/// Where the semantic model stands in this process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelState {
    /// Switched off (configuration or `--no-semantic`).
    Off,
    /// Not installed, and no fetch under way.
    Absent,
    /// Being downloaded: bytes so far and in all (0 while unknown).
    Fetching { done: u64, total: u64 },
    /// A fetch failed (no network, a bad file): search and matching work by text.
    Unavailable { reason: String },
    /// Loaded: search and matching use it.
    Ready,
}

impl ModelState {
    /// What a page says about it, in Chinese.
    pub fn label(&self) -> String {
        match self {
            ModelState::Off => "语义检索已关闭，按文字检索".into(),
            ModelState::Absent => "未安装语义模型，按文字检索".into(),
            ModelState::Fetching { done, total } if *total > 0 => format!(
                "正在下载语义模型（{:.0}%，{:.1} / {:.1} MB），下载完成前按文字检索",
                *done as f64 * 100.0 / *total as f64,
                *done as f64 / 1e6,
                *total as f64 / 1e6
            ),
            ModelState::Fetching { done, .. } => format!(
                "正在下载语义模型（已下载 {:.1} MB），下载完成前按文字检索",
                *done as f64 / 1e6
            ),
            ModelState::Unavailable { reason } => {
                format!("语义模型暂不可用（{reason}），按文字检索")
            }
            ModelState::Ready => "语义检索已启用".into(),
        }
    }
}

/// How far the records' vectors have come, for pages and progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddingProgress {
    /// Whether the semantic signal is on (a model installed, the switch on).
    pub enabled: bool,
    /// Records with a vector.
    pub ready: u64,
    /// Records waiting for one.
    pub waiting: u64,
    /// Vectors computed since the process started.
    pub done: u64,
}

/// Vectors computed per batch (then stored, so a search sees them).
const EMBEDDING_BATCH: usize = 16;
/// The vectors' file is written at least this often while a long queue runs.
const SAVE_EVERY: Duration = Duration::from_secs(60);

impl Search {
    /// Reads the records' vectors of `model` from beside the index (or starts them empty) and
    /// turns the semantic signal on; the caller starts the embedding.
    pub(super) async fn load_vectors(&self, model: Arc<Embedder>) -> AppResult<()> {
        let file = self.directory.join(zijin_search::vectors::VECTORS_FILE);
        let settings = self.config.semantic.vector_settings();
        let embedder = model.clone();
        let load_from = file.clone();
        let vectors = blocking(move || {
            let dimension = embedder.dimension();
            let fingerprint = embedder.fingerprint();
            let loaded = Vectors::load(&load_from, dimension, fingerprint, settings)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "语义向量文件无法读取，将重新计算");
                    None
                });
            Ok(loaded.unwrap_or_else(|| Vectors::new(dimension, fingerprint, settings)))
        })
        .await?;
        *self.index.vectors_mut() = Some(vectors);
        let _ = self.semantic.set(Semantic {
            embedder: model,
            file: self.index.is_writable().then_some(file),
        });
        self.set_model_state(ModelState::Ready);
        Ok(())
    }

    /// Records indexed while no vectors were computed (or changed while the process was down)
    /// are found by comparing every record's text with its vector's, and queued.
    pub(super) async fn sweep_and_embed(self: &Arc<Self>) -> AppResult<()> {
        let this = self.clone();
        let wanted = blocking(move || this.index.sweep_vectors()).await?;
        self.queue_vectors(wanted);
        Search::start_embedding(self);
        Ok(())
    }

    /// Turns the semantic signal on with a model that arrived after the start (a background
    /// fetch): the vectors are read or computed in the background, searches use each one as
    /// soon as it is ready.
    pub async fn enable_semantic(self: &Arc<Self>, model: Arc<Embedder>) -> AppResult<()> {
        if !self.config.semantic.enabled || self.semantic.get().is_some() {
            return Ok(());
        }
        self.load_vectors(model).await?;
        self.sweep_and_embed().await
    }

    /// Where the model stands (for pages and the log).
    pub fn model_state(&self) -> ModelState {
        self.model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Records what a fetch reports; a ready model is not set back.
    pub fn set_model_state(&self, state: ModelState) {
        let mut current = self
            .model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *current != ModelState::Ready || state == ModelState::Ready {
            *current = state;
        }
    }

    /// Whether searches and matches use the semantic signal.
    pub fn is_semantic(&self) -> bool {
        self.semantic.get().is_some()
    }

    fn queue(&self) -> MutexGuard<'_, EmbeddingQueue> {
        self.embedding
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts records in the queue for their vectors (each once).
    pub(super) fn queue_vectors(&self, records: impl IntoIterator<Item = (String, u64)>) {
        if self.semantic.get().is_none() {
            return;
        }
        let mut queue = self.queue();
        for record in records {
            if queue.queued.insert(record.clone()) {
                queue.waiting.push_back(record);
            }
        }
        self.embedding.wake.notify_all();
    }

    /// How far the records' vectors have come.
    pub fn embedding_progress(&self) -> EmbeddingProgress {
        let queue = self.queue();
        let ready = self
            .index
            .vectors()
            .as_ref()
            .map_or(0, |v| (v.len("achievement") + v.len("demand")) as u64);
        EmbeddingProgress {
            enabled: self.semantic.get().is_some(),
            ready,
            waiting: (queue.waiting.len() + usize::from(queue.busy) * EMBEDDING_BATCH) as u64,
            done: queue.done,
        }
    }

    /// Waits until every queued record has its vector; `progress` hears how far it has come
    /// (for the command line's progress bar).
    pub async fn wait_for_vectors(&self, progress: &(dyn Fn(EmbeddingProgress) + Sync)) {
        loop {
            let now = self.embedding_progress();
            progress(now);
            let idle = {
                let queue = self.queue();
                queue.waiting.is_empty() && !queue.busy
            };
            if idle {
                // A command ends right after: the vectors it computed are kept for the next.
                self.save_vectors();
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Starts the thread that computes queued vectors. It holds the search weakly and ends
    /// when the search is dropped.
    pub(super) fn start_embedding(search: &Arc<Search>) {
        let weak: Weak<Search> = Arc::downgrade(search);
        let embedding = search.embedding.clone();
        let spawned = std::thread::Builder::new()
            .name("zijin-embedding".into())
            .spawn(move || {
                let mut saved = Instant::now();
                let mut unsaved = false;
                loop {
                    let batch: Vec<(String, u64)> = {
                        let mut queue = embedding
                            .queue
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                        if queue.waiting.is_empty() {
                            queue.busy = false;
                            queue = embedding
                                .wake
                                .wait_timeout(queue, Duration::from_secs(1))
                                .unwrap_or_else(|poisoned| poisoned.into_inner())
                                .0;
                        }
                        let n = queue.waiting.len().min(EMBEDDING_BATCH);
                        let batch: Vec<(String, u64)> = queue.waiting.drain(..n).collect();
                        for record in &batch {
                            queue.queued.remove(record);
                        }
                        queue.busy = !batch.is_empty();
                        batch
                    };
                    let Some(search) = weak.upgrade() else { return };
                    if batch.is_empty() {
                        if unsaved {
                            search.save_vectors();
                            unsaved = false;
                            saved = Instant::now();
                        }
                        continue;
                    }
                    match search.embed_batch(&batch) {
                        Ok(n) => {
                            unsaved |= n > 0;
                            let mut queue = search.queue();
                            queue.done += n as u64;
                            if queue.waiting.is_empty() {
                                queue.busy = false;
                            }
                        }
                        Err(error) => tracing::warn!(%error, "语义向量计算失败"),
                    }
                    if unsaved && saved.elapsed() > SAVE_EVERY {
                        search.save_vectors();
                        unsaved = false;
                        saved = Instant::now();
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "无法启动语义向量计算线程");
        }
    }

    /// Computes the vectors of `records` from their current text in the index; returns how
    /// many were computed (a record gone, or whose vector is current, is skipped).
    fn embed_batch(&self, records: &[(String, u64)]) -> Result<usize, SearchError> {
        let Some(semantic) = self.semantic.get() else {
            return Ok(0);
        };
        let mut texts = Vec::with_capacity(records.len());
        for (kind, id) in records {
            match self.index.vector_text(kind, *id)? {
                Some(text) => {
                    let hash = text_hash(&text);
                    let current = self
                        .index
                        .vectors()
                        .as_ref()
                        .and_then(|v| v.text_hash(kind, *id));
                    if current != Some(hash) {
                        texts.push((kind, *id, hash, text));
                    }
                }
                None => {
                    if let Some(vectors) = self.index.vectors_mut().as_mut() {
                        vectors.remove(kind, *id);
                    }
                }
            }
        }
        let refs: Vec<&str> = texts.iter().map(|t| t.3.as_str()).collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let computed = semantic.embedder.embed_all(&refs, Role::Passage, threads);
        if let Some(vectors) = self.index.vectors_mut().as_mut() {
            for ((kind, id, hash, _), vector) in texts.iter().zip(&computed) {
                vectors.insert(kind, *id, *hash, vector);
            }
            vectors.maintain();
        }
        Ok(computed.len())
    }

    /// Writes the vectors beside the index (a process that only reads the index keeps its
    /// vectors in memory).
    fn save_vectors(&self) {
        let Some(file) = self.semantic.get().and_then(|s| s.file.as_ref()) else {
            return;
        };
        if let Some(vectors) = self.index.vectors().as_ref()
            && let Err(error) = vectors.save(file)
        {
            tracing::warn!(%error, "语义向量文件无法保存");
        }
    }

    /// The text embedded as a query, when the semantic signal is on (None otherwise).
    pub async fn query_vector(&self, text: &str) -> AppResult<Option<Vec<f32>>> {
        let Some(semantic) = self.semantic.get() else {
            return Ok(None);
        };
        let embedder = semantic.embedder.clone();
        let text = text.to_string();
        blocking(move || Ok(Some(embedder.embed(&text, Role::Query)))).await
    }
}
