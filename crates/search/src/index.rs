//! The tantivy index of achievements and demands: one document per record, Chinese text analysed
//! with the domain dictionary, the structured attributes the filters, facets and the matcher
//! need, and who may see it. Queries are built from the query's own segments and their synonyms
//! (tantivy's QueryParser would read an unspaced Chinese query as one phrase).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, Searcher, TantivyDocument, Term,
};

use crate::analysis::{ANALYSIS_VERSION, Analyzer, is_generic};
use crate::query::{QueryWord, TextWeights};
use crate::vectors::Vectors;

/// A query longer than this is cut: ten thousand characters add nothing but time.
pub const MAX_QUERY_CHARS: usize = 500;

/// A query word found in more than this share of all records does not by itself make a record
/// a hit when the query has rarer words (see `text_query`).
pub const COMMON_SHARE: f64 = 0.05;
/// ... and in more than this many records: in a small index every word is "common".
pub const COMMON_MINIMUM: u64 = 1_000;

/// How many records each list of a hybrid search ranks (at least), text and semantic.
const SEMANTIC_DEPTH: usize = 30;
/// The constant of reciprocal-rank fusion (as in Cormack et al. 2009).
const FUSION_K: f32 = 60.0;

/// The facets a search counts and filters by, with the index field behind each.
pub const FACETS: [&str; 5] = ["field", "district", "stage", "mode", "institution_type"];

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("请输入要找的技术或需求（标点、表情符号和“的”“和”这类虚词不作为检索词）")]
    EmptyQuery,
    #[error("检索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("检索索引目录出错：{0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("检索索引目录 {0} 无法使用：{1}")]
    Io(String, std::io::Error),
    #[error("检索索引只读（另一个进程正在写入同一目录），不能更新")]
    ReadOnly,
}

/// What the matcher compares besides text (stored with each document).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// Technical-field code.
    pub field: String,
    /// An achievement's maturity, or the least maturity a demand wants (1–9).
    pub trl: Option<u8>,
    /// An achievement's asking price in fen (None: 面议).
    pub price_fen: Option<i64>,
    /// A demand's budget in fen.
    pub budget_min_fen: Option<i64>,
    pub budget_max_fen: Option<i64>,
    /// Transfer modes offered (achievement) or cooperation modes accepted (demand): codes.
    pub modes: Vec<String>,
    /// District code of the owning institution.
    pub district: String,
    pub keywords: Vec<String>,
}

/// What the index holds of a record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// "achievement" or "demand".
    pub kind: String,
    pub id: u64,
    pub title: String,
    pub body: String,
    /// The owning institution.
    pub owner: u64,
    /// The record's status code (published records are public).
    pub status: String,
    /// Institution type code of the owner.
    pub institution_type: String,
    /// Last change, seconds since 1970 (for sorting by date).
    pub date: i64,
    pub profile: Profile,
}

/// Who is looking, which decides which records a search may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Published records only.
    Public,
    /// Published records and every record of this institution (its drafts included).
    PublicAndOwn(u64),
    /// Reviewed records, approved or published: the pool recommendations are drawn from.
    Listed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest change first.
    Newest,
}

/// One search as a user asks it.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub text: String,
    pub kind: Option<String>,
    pub scope: Scope,
    /// Facet name (one of [`FACETS`]) → required value.
    pub filters: BTreeMap<String, String>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Count each facet's values over the matching records.
    pub with_facets: bool,
    /// The query embedded by the sentence model: records whose vectors are at least
    /// `similarity_floor` similar join the results, fused with the text ranking by reciprocal
    /// rank (relevance order only).
    pub vector: Option<Vec<f32>>,
    pub similarity_floor: f32,
    /// ... and within this of the nearest record's of the same kind.
    pub similarity_margin: f32,
}

impl SearchRequest {
    pub fn new(text: impl Into<String>) -> Self {
        SearchRequest {
            text: text.into(),
            kind: None,
            scope: Scope::Public,
            filters: BTreeMap::new(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
            with_facets: false,
            vector: None,
            similarity_floor: 0.0,
            similarity_margin: f32::INFINITY,
        }
    }
}

/// One result: which record, how well it matched, and a highlighted snippet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub kind: String,
    pub id: u64,
    pub title: String,
    pub score: f32,
    /// The body around the matched terms, `<b>` around each match (HTML-escaped otherwise).
    pub snippet: String,
    /// The query's terms (or their synonyms) found in this record.
    pub matched: Vec<String>,
    pub status: String,
    pub date: i64,
    pub profile: Profile,
    /// The cosine of the record's vector with the query's, when the semantic signal found it.
    pub similarity: Option<f32>,
    /// Records of the same page that are near-identical to this one (the same title in
    /// other words), shown folded under it.
    pub similar: Vec<SimilarRecord>,
}

/// A record folded under a near-identical one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimilarRecord {
    pub kind: String,
    pub id: u64,
    pub title: String,
}

/// The characters' pairs of a title, without punctuation and spaces, lower-cased.
fn title_pairs(title: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Whether two titles are near-identical: at least 80 % of their character pairs shared
/// (Jaccard), as "一种锂电池隔膜的制备方法" and "锂电池隔膜的制备方法".
fn near_identical(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(b).count();
    shared * 5 >= (a.len() + b.len() - shared) * 4
}

/// Folds each hit that is near-identical to a better one of the same kind under it.
pub fn group_near_duplicates(hits: Vec<Hit>) -> Vec<Hit> {
    let mut kept: Vec<(Hit, HashSet<(char, char)>)> = Vec::with_capacity(hits.len());
    for hit in hits {
        let pairs = title_pairs(&hit.title);
        match kept
            .iter_mut()
            .find(|(k, p)| k.kind == hit.kind && near_identical(p, &pairs))
        {
            Some((first, _)) => first.similar.push(SimilarRecord {
                kind: hit.kind,
                id: hit.id,
                title: hit.title,
            }),
            None => kept.push((hit, pairs)),
        }
    }
    kept.into_iter().map(|(hit, _)| hit).collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    /// How many records match in all.
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Facet name → (value, count), most frequent first.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// A record the matcher considers: its text relevance and what it stores.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: u64,
    pub title: String,
    pub text_score: f32,
    pub profile: Profile,
    address: DocAddress,
}

pub(crate) struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    status: Field,
    owner: Field,
    pub(crate) title: Field,
    pub(crate) body: Field,
    /// Title and body as one text (indexed only, in the search cut): what relevance is
    /// scored on.
    pub(crate) text: Field,
    facets: [Field; 5],
    date: Field,
    profile: Field,
}

impl Fields {
    fn facet(&self, name: &str) -> Option<Field> {
        FACETS
            .iter()
            .position(|facet| *facet == name)
            .map(|i| self.facets[i])
    }
}

/// How an index directory was found when opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Existing,
    Created,
    /// It could not be read (damaged, or written by an older schema) and was made empty again.
    Recreated(String),
}

pub struct SearchIndex {
    analyzer: &'static Analyzer,
    index: Index,
    reader: IndexReader,
    /// None when another process holds the directory's writer lock.
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
    /// The records' sentence vectors, when the platform has a model (kept beside the index by
    /// its owner, who knows the model).
    vectors: RwLock<Option<Vectors>>,
    text_weights: RwLock<TextWeights>,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("zh")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let facet = |builder: &mut tantivy::schema::SchemaBuilder, name: &str| {
        builder.add_text_field(name, STRING | FAST | STORED)
    };
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_u64_field("id", STORED | FAST),
        status: builder.add_text_field("status", STRING | STORED),
        owner: builder.add_u64_field("owner", INDEXED),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text),
        text: builder.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("cut")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        facets: [
            facet(&mut builder, "field"),
            facet(&mut builder, "district"),
            facet(&mut builder, "stage"),
            builder.add_text_field("mode", STRING | FAST),
            facet(&mut builder, "institution_type"),
        ],
        date: builder.add_i64_field("date", FAST | STORED),
        profile: builder.add_text_field("profile", STORED),
    };
    (builder.build(), fields)
}

/// The maturity stage code of a TRL (the facet "stage").
pub fn stage_of(trl: u8) -> &'static str {
    match trl {
        1..=3 => "laboratory",
        4..=5 => "bench",
        6..=7 => "pilot",
        _ => "industrial",
    }
}

impl SearchIndex {
    /// An index in memory (tests, evaluation).
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        SearchIndex::in_memory_with(Analyzer::shared())
    }

    /// An index in memory analysed by `analyzer` (`Analyzer::plain()` for the baseline).
    pub fn in_memory_with(analyzer: &'static Analyzer) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        SearchIndex::from_index(Index::create_in_ram(schema), fields, analyzer)
    }

    /// The index in `directory`: opened, created when missing, made empty again when it cannot
    /// be read. Read-only when another process already writes to the directory.
    pub fn open(directory: &Path) -> Result<(SearchIndex, Opened), SearchError> {
        let io = |error| SearchError::Io(directory.display().to_string(), error);
        let existed = directory.join("meta.json").exists();
        std::fs::create_dir_all(directory).map_err(io)?;
        match SearchIndex::open_existing_or_new(directory) {
            Ok(index) => Ok((
                index,
                if existed {
                    Opened::Existing
                } else {
                    Opened::Created
                },
            )),
            Err(error @ SearchError::Index(tantivy::TantivyError::LockFailure(..))) => Err(error),
            Err(error) => {
                // Derived state: throw it away and let the caller rebuild from the database —
                // all but the vectors, which are checked against each record's text anyway and
                // take long to compute again.
                let vectors = directory.join(crate::vectors::VECTORS_FILE);
                let kept = directory.with_extension("vectors-kept");
                let keep = vectors.exists() && std::fs::rename(&vectors, &kept).is_ok();
                std::fs::remove_dir_all(directory).map_err(io)?;
                std::fs::create_dir_all(directory).map_err(io)?;
                if keep {
                    std::fs::rename(&kept, &vectors).map_err(io)?;
                }
                let index = SearchIndex::open_existing_or_new(directory)?;
                Ok((index, Opened::Recreated(error.to_string())))
            }
        }
    }

    fn open_existing_or_new(directory: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(directory)?;
        let index = Index::open_or_create(mmap, schema)?;
        let index = SearchIndex::from_index(index, fields, Analyzer::shared())?;
        // Reading every segment's metadata once finds most damage now rather than mid-search.
        index.reader.searcher().segment_readers();
        Ok(index)
    }

    fn from_index(
        index: Index,
        fields: Fields,
        analyzer: &'static Analyzer,
    ) -> Result<SearchIndex, SearchError> {
        let tokenizer = TextAnalyzer::builder(crate::tokenizer::DomainTokenizer::new(analyzer))
            .filter(LowerCaser)
            .build();
        index.tokenizers().register("zh", tokenizer);
        index
            .tokenizers()
            .register("cut", crate::tokenizer::CutTokenizer::new(analyzer));
        let writer = match index.writer(100_000_000) {
            Ok(writer) => Some(Mutex::new(writer)),
            Err(tantivy::TantivyError::LockFailure(..)) => None,
            Err(error) => return Err(error.into()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            analyzer,
            index,
            reader,
            writer,
            fields,
            vectors: RwLock::new(None),
            text_weights: RwLock::new(TextWeights::SHIPPED),
        })
    }

    pub(crate) fn reader(&self) -> &IndexReader {
        &self.reader
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    pub(crate) fn analyzer(&self) -> &'static Analyzer {
        self.analyzer
    }

    /// The weights of text queries (the shipped ones unless an evaluation sets others).
    pub fn text_weights(&self) -> TextWeights {
        *self
            .text_weights
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_text_weights(&self, weights: TextWeights) {
        *self
            .text_weights
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = weights;
    }

    /// The records' vectors (None: no semantic signal).
    pub fn vectors(&self) -> RwLockReadGuard<'_, Option<Vectors>> {
        // The vectors hold no invariant a panicking writer could break half-way that a
        // reader would trip on: each insert replaces whole slots.
        self.vectors
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn vectors_mut(&self) -> RwLockWriteGuard<'_, Option<Vectors>> {
        self.vectors
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        let writer = self.writer.as_ref().ok_or(SearchError::ReadOnly)?;
        // A panic while holding the lock leaves the writer usable: its state is tantivy's own.
        Ok(writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn key(document_kind: &str, id: u64) -> String {
        format!("{document_kind}:{id}")
    }

    /// Adds or replaces records; visible to searches after `commit`.
    pub fn upsert(&self, documents: &[Document]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        let f = &self.fields;
        for document in documents {
            let key = Self::key(&document.kind, document.id);
            writer.delete_term(Term::from_field_text(f.key, &key));
            let mut doc = TantivyDocument::default();
            doc.add_text(f.key, &key);
            doc.add_text(f.kind, &document.kind);
            doc.add_u64(f.id, document.id);
            doc.add_text(f.status, &document.status);
            doc.add_u64(f.owner, document.owner);
            doc.add_text(f.title, &document.title);
            doc.add_text(f.body, &document.body);
            doc.add_text(f.text, format!("{}\n{}", document.title, document.body));
            let profile = &document.profile;
            doc.add_text(f.facets[0], &profile.field);
            doc.add_text(f.facets[1], &profile.district);
            doc.add_text(f.facets[2], profile.trl.map(stage_of).unwrap_or(""));
            for mode in &profile.modes {
                doc.add_text(f.facets[3], mode);
            }
            doc.add_text(f.facets[4], &document.institution_type);
            doc.add_i64(f.date, document.date);
            doc.add_text(
                f.profile,
                serde_json::to_string(profile).unwrap_or_default(),
            );
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Forgets every record (before a rebuild); visible after `commit`.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    pub fn remove(&self, kind: &str, id: u64) -> Result<(), SearchError> {
        self.writer()?
            .delete_term(Term::from_field_text(self.fields.key, &Self::key(kind, id)));
        Ok(())
    }

    /// Makes the changes visible and durable, remembering `watermark` (how far the platform's
    /// change feed has been applied) with them.
    pub fn commit(&self, watermark: Option<i64>) -> Result<(), SearchError> {
        {
            let mut writer = self.writer()?;
            let mut prepared = writer.prepare_commit()?;
            if let Some(watermark) = watermark {
                prepared.set_payload(&format!("{ANALYSIS_VERSION}/{watermark}"));
            }
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// The watermark of the last commit that set one; None also when that commit was made
    /// under another version of the text analysis (the index must then be made again).
    pub fn watermark(&self) -> Option<i64> {
        let payload = self.index.load_metas().ok()?.payload?;
        let (version, watermark) = payload.split_once('/')?;
        (version.parse::<u32>().ok()? == ANALYSIS_VERSION).then_some(())?;
        watermark.parse().ok()
    }

    /// Sees commits made by another process (a read-only index).
    pub fn refresh(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        Ok(())
    }

    fn term(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    fn scope_query(&self, scope: Scope) -> Box<dyn Query> {
        let status = self.fields.status;
        match scope {
            Scope::Public => self.term(status, "published"),
            Scope::PublicAndOwn(owner) => Box::new(BooleanQuery::new(vec![
                (Occur::Should, self.term(status, "published")),
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_u64(self.fields.owner, owner),
                        IndexRecordOption::Basic,
                    )),
                ),
            ])),
            Scope::Listed => Box::new(BooleanQuery::new(vec![
                (Occur::Should, self.term(status, "published")),
                (Occur::Should, self.term(status, "approved")),
            ])),
        }
    }

    /// The text query restricted to a kind, a scope and facet values.
    fn filtered(
        &self,
        text_query: Box<dyn Query>,
        kind: Option<&str>,
        scope: Scope,
        filters: &BTreeMap<String, String>,
    ) -> Box<dyn Query> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text_query),
            (Occur::Must, self.scope_query(scope)),
        ];
        if let Some(kind) = kind {
            must.push((Occur::Must, self.term(self.fields.kind, kind)));
        }
        for (name, value) in filters {
            if let Some(field) = self.fields.facet(name) {
                must.push((Occur::Must, self.term(field, value)));
            }
        }
        Box::new(BooleanQuery::new(must))
    }

    fn stored_text(document: &TantivyDocument, field: Field) -> String {
        document
            .get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn profile_of(&self, document: &TantivyDocument) -> Profile {
        serde_json::from_str(&Self::stored_text(document, self.fields.profile)).unwrap_or_default()
    }

    /// The ids and scores of the best `top` public and listed records for `text`, without reading
    /// their stored text (no snippet, no matched terms): for evaluation.
    pub fn search_ids(&self, text: &str, top: usize) -> Result<Vec<(u64, f32)>, SearchError> {
        let words = self.query_terms(text)?;
        let searcher = self.reader.searcher();
        let query = self.text_query(&searcher, &words);
        let top_docs =
            searcher.search(&query, &TopDocs::with_limit(top.max(1)).order_by_score())?;
        self.ids_of(&searcher, top_docs)
    }

    fn ids_of(
        &self,
        searcher: &Searcher,
        top_docs: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let mut hits = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs {
            let reader = searcher.segment_reader(address.segment_ord);
            let ids = reader.fast_fields().u64("id")?;
            hits.push((ids.first(address.doc_id).unwrap_or_default(), score));
        }
        Ok(hits)
    }

    /// The best `top` records of `kind` (or of both kinds) for `text`, public ones only.
    pub fn search(
        &self,
        text: &str,
        kind: Option<&str>,
        top: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let mut request = SearchRequest::new(text);
        request.kind = kind.map(str::to_string);
        request.limit = top;
        Ok(self.run(&request)?.hits)
    }

    /// A search with its scope, filters, sort, page and facet counts.
    pub fn run(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let groups = self.query_terms(&request.text)?;
        let searcher = self.reader.searcher();
        let query = self.filtered(
            self.text_query(&searcher, &groups),
            request.kind.as_deref(),
            request.scope,
            &request.filters,
        );
        let limit = request.limit.clamp(1, 100);
        let offset = request.offset.min(10_000);
        let vector = request
            .vector
            .as_ref()
            .filter(|_| request.sort == Sort::Relevance && self.vectors().is_some());
        if let Some(vector) = vector {
            return self.run_hybrid(request, &searcher, &groups, query, vector, offset, limit);
        }
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match request.sort {
            Sort::Relevance => searcher.search(
                &query,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(offset)
                        .order_by_score(),
                    Count,
                ),
            )?,
            Sort::Newest => {
                let (top, total) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(offset)
                            .order_by_fast_field::<i64>("date", Order::Desc),
                        Count,
                    ),
                )?;
                (top.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
        };
        let hits = self.hits(
            &searcher,
            &groups,
            addresses.into_iter().map(|(score, a)| (score, a, None)),
        )?;
        let facets = if request.with_facets {
            self.facet_counts(&searcher, &*query)?
        } else {
            BTreeMap::new()
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// The results with their stored fields, snippets and matched terms.
    fn hits(
        &self,
        searcher: &Searcher,
        groups: &[QueryWord],
        ranked: impl Iterator<Item = (f32, DocAddress, Option<f32>)>,
    ) -> Result<Vec<Hit>, SearchError> {
        let mut snippets =
            SnippetGenerator::create(searcher, &*self.highlight_query(groups), self.fields.body)?;
        snippets.set_max_num_chars(120);
        let mut hits = Vec::new();
        for (score, address, similarity) in ranked {
            let document: TantivyDocument = searcher.doc(address)?;
            let title = Self::stored_text(&document, self.fields.title);
            let body = Self::stored_text(&document, self.fields.body);
            let mut snippet = snippets.snippet_from_doc(&document).to_html();
            if snippet.is_empty() {
                // Found by meaning, not by a word: the record's opening lines.
                snippet = escape_html(&body.chars().take(120).collect::<String>());
            }
            hits.push(Hit {
                kind: Self::stored_text(&document, self.fields.kind),
                id: document
                    .get_first(self.fields.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default(),
                matched: self.matched_terms(groups, &title, &body),
                title,
                score,
                snippet,
                status: Self::stored_text(&document, self.fields.status),
                date: document
                    .get_first(self.fields.date)
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default(),
                profile: self.profile_of(&document),
                similarity,
                similar: Vec::new(),
            });
        }
        Ok(group_near_duplicates(hits))
    }

    /// The text results and the records nearest the query's vector, fused by reciprocal rank:
    /// each list adds 1 / (60 + rank). The records found either way are counted (total and
    /// facets) by one query: the text query or the nearest records' keys, within the same
    /// scope and filters.
    #[allow(clippy::too_many_arguments)]
    fn run_hybrid(
        &self,
        request: &SearchRequest,
        searcher: &Searcher,
        groups: &[QueryWord],
        text_query: Box<dyn Query>,
        vector: &[f32],
        offset: usize,
        limit: usize,
    ) -> Result<SearchResults, SearchError> {
        let depth = (offset + limit).max(SEMANTIC_DEPTH);
        let kinds: Vec<&str> = match request.kind.as_deref() {
            Some(kind) => vec![kind],
            None => vec!["achievement", "demand"],
        };
        let by_text =
            searcher.search(&*text_query, &TopDocs::with_limit(depth).order_by_score())?;
        // When the words find records, the nearest records join them by rank whatever their
        // cosine (the fusion weighs them); when the words find nothing, only records close
        // enough in meaning are shown, or a question about nothing the platform holds would
        // list whatever is least far.
        let gated = by_text.is_empty();
        let floor = if gated {
            request.similarity_floor
        } else {
            f32::MIN
        };
        let mut near: Vec<(String, u64, f32)> = Vec::new();
        if let Some(vectors) = self.vectors().as_ref() {
            for kind in &kinds {
                near.extend(
                    vectors
                        .nearest(kind, vector, depth)
                        .into_iter()
                        .filter(|(_, similarity)| *similarity >= floor)
                        .map(|(id, similarity)| (kind.to_string(), id, similarity)),
                );
            }
        }
        near.sort_by(|a, b| b.2.total_cmp(&a.2));
        near.truncate(depth);
        let near_query = |near: &[(String, u64, f32)], kind: Option<&str>| {
            let keys = near
                .iter()
                .filter(|(k, _, _)| kind.is_none_or(|kind| k == kind))
                .map(|(kind, id, _)| (kind.as_str(), *id));
            self.filtered(
                self.records(keys),
                kind.or(request.kind.as_deref()),
                request.scope,
                &request.filters,
            )
        };
        // The nearest records the scope and filters let through, kind by kind so that the id
        // is read from its column rather than from the stored document.
        let mut address_of: HashMap<(String, u64), DocAddress> = HashMap::new();
        for kind in &kinds {
            let allowed = searcher.search(
                &*near_query(&near, Some(kind)),
                &TopDocs::with_limit(depth.max(1)).order_by_score(),
            )?;
            for (address, (id, _)) in allowed
                .iter()
                .map(|(_, a)| *a)
                .zip(self.ids_of(searcher, allowed.clone())?)
            {
                address_of.insert((kind.to_string(), id), address);
            }
        }
        near.retain(|(kind, id, _)| address_of.contains_key(&(kind.clone(), *id)));
        // Within the margin of the nearest record of the same kind that may be shown: a demand
        // that repeats the query's words should not push every achievement out.
        let mut best: HashMap<String, f32> = HashMap::new();
        for (kind, _, similarity) in &near {
            let entry = best.entry(kind.clone()).or_insert(f32::MIN);
            *entry = entry.max(*similarity);
        }
        if gated {
            near.retain(|(kind, _, similarity)| {
                *similarity >= best[kind] - request.similarity_margin
            });
        }
        let either: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Should, text_query.box_clone()),
            (Occur::Should, near_query(&near, None)),
        ]));
        let total = searcher.search(&*either, &Count)?;
        let mut fused: HashMap<DocAddress, (f32, Option<f32>)> = HashMap::new();
        for (rank, (_, address)) in by_text.iter().enumerate() {
            fused.entry(*address).or_default().0 += 1.0 / (FUSION_K + rank as f32 + 1.0);
        }
        for (rank, (kind, id, similarity)) in near.iter().enumerate() {
            let entry = fused.entry(address_of[&(kind.clone(), *id)]).or_default();
            entry.0 += 1.0 / (FUSION_K + rank as f32 + 1.0);
            entry.1 = Some(*similarity);
        }
        let mut ranked: Vec<(f32, DocAddress, Option<f32>)> = fused
            .into_iter()
            .map(|(address, (score, similarity))| (score, address, similarity))
            .collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.segment_ord.cmp(&b.1.segment_ord))
                .then(a.1.doc_id.cmp(&b.1.doc_id))
        });
        let page = ranked.into_iter().skip(offset).take(limit);
        let hits = self.hits(searcher, groups, page)?;
        let facets = if request.with_facets {
            self.facet_counts(searcher, &*either)?
        } else {
            BTreeMap::new()
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// The query's forms (terms or synonyms) found in a record's text.
    pub fn matched_terms(&self, groups: &[QueryWord], title: &str, body: &str) -> Vec<String> {
        let record_terms: HashSet<String> = self
            .analyzer
            .search_cut(&format!("{title} {body}"))
            .into_iter()
            .collect();
        // Each word once: its own form or a synonym when the record has one.
        let mut matched: Vec<String> = Vec::new();
        for word in groups {
            let found = |forms: &[String]| {
                forms
                    .iter()
                    .find(|form| {
                        record_terms.contains(*form)
                            && !is_generic(form)
                            && !self.analyzer.is_stop_word(form)
                    })
                    .cloned()
            };
            if let Some(form) = found(&word.forms)
                && !matched.contains(&form)
                && form.chars().count() > 1
            {
                matched.push(form);
            }
        }
        // The search cut yields a word and the words inside it: name the longest.
        let all = matched.clone();
        matched.retain(|form| {
            !all.iter()
                .any(|other| other.len() > form.len() && other.contains(form.as_str()))
        });
        matched
    }

    /// Counts each facet's values over every record the query matches.
    fn facet_counts(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> Result<BTreeMap<String, Vec<(String, u64)>>, SearchError> {
        let collector = FacetCollector;
        let counts = searcher.search(query, &collector)?;
        let mut facets = BTreeMap::new();
        for (i, name) in FACETS.iter().enumerate() {
            let mut values: Vec<(String, u64)> = counts[i]
                .iter()
                .filter(|(value, _)| !value.is_empty())
                .map(|(value, n)| (value.clone(), *n))
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            facets.insert(name.to_string(), values);
        }
        Ok(facets)
    }

    /// The `n` records of `kind` in `scope` whose text best matches `text`, with their stored
    /// profile, for the matcher to score further.
    pub fn candidates(
        &self,
        text: &str,
        kind: &str,
        scope: Scope,
        n: usize,
        postings_budget: u64,
    ) -> Result<Vec<Candidate>, SearchError> {
        let searcher = self.reader.searcher();
        let groups = self.telling_words(&searcher, text, postings_budget)?;
        let query = self.filtered(
            self.text_query(&searcher, &groups),
            Some(kind),
            scope,
            &BTreeMap::new(),
        );
        let top_docs = searcher.search(&query, &TopDocs::with_limit(n.max(1)).order_by_score())?;
        top_docs
            .into_iter()
            .map(|(score, address)| self.candidate(&searcher, score, address))
            .collect()
    }

    /// The records of `kind` among `ids` that `scope` may see, in the order of `ids`, with a
    /// text score of zero: the semantic pool, whose records the text search may not have found.
    pub fn candidates_by_id(
        &self,
        kind: &str,
        ids: &[u64],
        scope: Scope,
    ) -> Result<Vec<Candidate>, SearchError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let query = self.filtered(
            self.records(ids.iter().map(|id| (kind, *id))),
            Some(kind),
            scope,
            &BTreeMap::new(),
        );
        let found = searcher.search(&query, &TopDocs::with_limit(ids.len()).order_by_score())?;
        let mut candidates = found
            .into_iter()
            .map(|(_, address)| self.candidate(&searcher, 0.0, address))
            .collect::<Result<Vec<_>, _>>()?;
        let order: HashMap<u64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        candidates.sort_by_key(|c| order.get(&c.id).copied().unwrap_or(usize::MAX));
        Ok(candidates)
    }

    /// A query for these records (kind, id), to be filtered by scope like a text query.
    fn records<'k>(&self, keys: impl Iterator<Item = (&'k str, u64)>) -> Box<dyn Query> {
        let terms =
            keys.map(|(kind, id)| Term::from_field_text(self.fields.key, &Self::key(kind, id)));
        Box::new(tantivy::query::TermSetQuery::new(terms))
    }

    fn candidate(
        &self,
        searcher: &Searcher,
        text_score: f32,
        address: DocAddress,
    ) -> Result<Candidate, SearchError> {
        let document: TantivyDocument = searcher.doc(address)?;
        Ok(Candidate {
            id: document
                .get_first(self.fields.id)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            title: Self::stored_text(&document, self.fields.title),
            text_score,
            profile: self.profile_of(&document),
            address,
        })
    }

    /// The query's forms found in a candidate (read from its stored text).
    pub fn candidate_terms(
        &self,
        groups: &[QueryWord],
        candidate: &Candidate,
    ) -> Result<Vec<String>, SearchError> {
        let document: TantivyDocument = self.reader.searcher().doc(candidate.address)?;
        Ok(self.matched_terms(
            groups,
            &candidate.title,
            &Self::stored_text(&document, self.fields.body),
        ))
    }

    /// The text a record's vector is computed from (title and body), None when the index does
    /// not hold the record.
    pub fn vector_text(&self, kind: &str, id: u64) -> Result<Option<String>, SearchError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.key, &Self::key(kind, id)),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match found.first() {
            Some((_, address)) => {
                let document: TantivyDocument = searcher.doc(*address)?;
                Ok(Some(self.text_of(&document)))
            }
            None => Ok(None),
        }
    }

    fn text_of(&self, document: &TantivyDocument) -> String {
        format!(
            "{} {}",
            Self::stored_text(document, self.fields.title),
            Self::stored_text(document, self.fields.body)
        )
        .trim()
        .to_string()
    }

    /// Compares the vectors with the records: forgets the vectors of records the index no
    /// longer holds, and returns the records whose vector is missing or was computed from
    /// another text (kind, id), for the owner to embed.
    pub fn sweep_vectors(&self) -> Result<Vec<(String, u64)>, SearchError> {
        let searcher = self.reader.searcher();
        let mut wanted = Vec::new();
        let mut present: HashSet<(String, u64)> = HashSet::new();
        {
            let vectors = self.vectors();
            let Some(vectors) = vectors.as_ref() else {
                return Ok(Vec::new());
            };
            for segment in searcher.segment_readers() {
                let store = segment
                    .get_store_reader(64)
                    .map_err(|error| SearchError::Index(error.into()))?;
                for doc in segment.doc_ids_alive() {
                    let document: TantivyDocument = store.get(doc)?;
                    let kind = Self::stored_text(&document, self.fields.kind);
                    let id = document
                        .get_first(self.fields.id)
                        .and_then(|v| v.as_u64())
                        .unwrap_or_default();
                    let hash = crate::vectors::text_hash(&self.text_of(&document));
                    if vectors.text_hash(&kind, id) != Some(hash) {
                        wanted.push((kind.clone(), id));
                    }
                    present.insert((kind, id));
                }
            }
        }
        if let Some(vectors) = self.vectors_mut().as_mut() {
            for (kind, id) in vectors.keys() {
                if !present.contains(&(kind.to_string(), id)) {
                    vectors.remove(kind, id);
                }
            }
        }
        Ok(wanted)
    }

    /// How many records the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Text as HTML: the five characters that could open markup are escaped.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Counts the values of the facet fields over the matching documents, reading their columns.
struct FacetCollector;

type FacetCounts = Vec<HashMap<String, u64>>;

struct FacetSegmentCollector {
    columns: Vec<tantivy::columnar::StrColumn>,
    counts: Vec<HashMap<u64, u64>>,
}

impl tantivy::collector::Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::new();
        for name in FACETS {
            let column = reader.fast_fields().str(name)?.ok_or_else(|| {
                tantivy::TantivyError::SchemaError(format!("{name} is not a fast field"))
            })?;
            columns.push(column);
        }
        Ok(FacetSegmentCollector {
            counts: vec![HashMap::new(); columns.len()],
            columns,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged: FacetCounts = vec![HashMap::new(); FACETS.len()];
        for fruit in fruits {
            for (i, counts) in fruit.into_iter().enumerate() {
                for (value, n) in counts {
                    *merged[i].entry(value).or_default() += n;
                }
            }
        }
        Ok(merged)
    }
}

impl tantivy::collector::SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            for ordinal in column.term_ords(doc) {
                *counts.entry(ordinal).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                counts
                    .into_iter()
                    .map(|(ordinal, n)| {
                        let mut value = String::new();
                        let _ = column.ord_to_str(ordinal, &mut value);
                        (value, n)
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn achievement(id: u64, title: &str, body: &str) -> Document {
        Document {
            kind: "achievement".into(),
            id,
            title: title.to_string(),
            body: body.to_string(),
            owner: 1,
            status: "published".into(),
            institution_type: "university".into(),
            date: id as i64,
            profile: Profile {
                field: "new-energy".into(),
                district: "jiangning".into(),
                trl: Some(6),
                modes: vec!["licence".into()],
                ..Profile::default()
            },
        }
    }

    fn index_of(titles: &[(&str, &str)]) -> SearchIndex {
        let index = SearchIndex::in_memory().unwrap();
        let documents: Vec<Document> = titles
            .iter()
            .enumerate()
            .map(|(i, (title, body))| achievement(i as u64 + 1, title, body))
            .collect();
        index.upsert(&documents).unwrap();
        index.commit(None).unwrap();
        index
    }

    #[test]
    fn an_unspaced_chinese_query_finds_records_by_its_terms() {
        let index = index_of(&[
            (
                "一种锂离子电池正极材料的制备方法",
                "高镍三元正极材料，提高循环寿命",
            ),
            ("低功耗物联网芯片射频前端设计", "面向物联网终端的射频前端"),
            ("中药饮片炮制工艺", "传统炮制与现代工艺结合"),
        ]);
        let hits = index.search("锂电池材料", None, 10).unwrap();
        assert_eq!(hits[0].id, 1, "{hits:?}");
        assert!(
            hits[0].matched.contains(&"锂离子电池".to_string()),
            "{hits:?}"
        );
        assert!(
            hits[0].snippet.contains("<b>材料</b>") || hits[0].snippet.contains("<b>正极材料</b>"),
            "{}",
            hits[0].snippet
        );
        // A synonym: 集成电路 finds the chip record.
        let hits = index.search("集成电路设计", None, 10).unwrap();
        assert_eq!(hits[0].id, 2, "{hits:?}");
        assert!(hits[0].matched.contains(&"芯片".to_string()), "{hits:?}");
    }

    /// A word and the dictionary words inside it overlap; the snippet of such a text once
    /// panicked in tantivy, and once cut a word short (found by the scale benchmark's records).
    #[test]
    fn snippets_of_nested_terms_highlight_without_panicking() {
        let fuel_cells = "电池 插电式混合动力 质子交换膜燃料电池 ".repeat(12);
        let generated = "本成果针对前沿新材料中寿命较短的问题，研发了可重复使用火箭装置，并结合软体机器人，综合成本降低约20%。";
        for (title, body, query, highlighted) in [
            (
                "质子交换膜燃料电池电堆",
                fuel_cells.as_str(),
                "燃料电池",
                "<b>质子交换膜燃料电池</b>",
            ),
            (
                "质子交换膜燃料电池电堆",
                &fuel_cells,
                "电池 插电式混合动力",
                "<b>插电式混合动力</b>",
            ),
            (
                "可重复使用火箭装置",
                generated,
                "前沿新材料 火箭",
                "<b>前沿新材料</b>",
            ),
            (
                "可重复使用火箭装置",
                generated,
                "软体机器人",
                "<b>软体机器人</b>",
            ),
        ] {
            let index = index_of(&[(title, body)]);
            let hits = index.search(query, None, 10).unwrap();
            assert_eq!(hits.len(), 1, "{query}");
            assert!(
                hits[0].snippet.contains(highlighted),
                "{query}: {}",
                hits[0].snippet
            );
            assert!(!hits[0].snippet.contains("<b><b>"), "{}", hits[0].snippet);
        }
        let segments = Analyzer::shared().segments("质子交换膜燃料电池 电堆");
        let ranges: Vec<(usize, usize)> = segments
            .iter()
            .map(|t| (t.byte_start, t.byte_end))
            .collect();
        assert!(segments.len() > 3, "the word and its parts: {ranges:?}");
        assert!(
            ranges
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
            "byte ranges never go backwards: {ranges:?}"
        );
    }

    /// A word in more than COMMON_SHARE (and COMMON_MINIMUM) of the records no longer makes a
    /// hit by itself when the query has a rarer word, but still raises the records it is in.
    #[test]
    fn common_words_add_to_a_score_but_do_not_make_a_hit() {
        let mut records = vec![
            ("锂电池隔膜", "涂覆隔膜 问题"),
            ("锂电池隔膜", "涂覆隔膜 工艺"),
        ];
        records.extend(std::iter::repeat_n(("电机控制", "解决了发热问题"), 1_200));
        let index = index_of(&records);
        let mut request = SearchRequest::new("锂电池 问题");
        request.limit = 5;
        let found = index.run(&request).unwrap();
        assert_eq!(found.total, 2, "only the records with the rarer word");
        assert_eq!(
            found.hits[0].id, 1,
            "the common word still counts: {:?}",
            found.hits
        );
        // A query of common words alone still finds their records.
        assert_eq!(index.run(&SearchRequest::new("问题")).unwrap().total, 1_201);
    }

    #[test]
    fn a_postings_budget_keeps_the_telling_terms_of_a_long_text() {
        let mut records: Vec<(String, String)> = (0..30)
            .map(|i| (format!("电池管理样品{i}"), "电池".to_string()))
            .collect();
        records.push(("固态电解质".into(), "电池".into()));
        let records: Vec<(&str, &str)> = records
            .iter()
            .map(|(t, b)| (t.as_str(), b.as_str()))
            .collect();
        let index = index_of(&records);
        let ids = |text: &str, budget: u64| -> Vec<u64> {
            index
                .candidates(text, "achievement", Scope::Listed, 100, budget)
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect()
        };
        // Without a limit the frequent word finds every record, the rare one ranks first.
        let all = ids("固态电解质 电池", u64::MAX);
        assert_eq!(all.len(), 31);
        assert_eq!(all[0], 31);
        // With a tight budget only the rarest term searches: one record, the right one.
        assert_eq!(ids("固态电解质 电池", 1), [31]);
        // A word the index does not have never takes the place of one it has.
        assert_eq!(ids("量子纠缠 电池", 1).len(), 31);
    }

    #[test]
    fn replacing_a_record_keeps_one_copy_and_removing_drops_it() {
        let index = index_of(&[("旧标题 储能", "储能系统")]);
        index
            .upsert(&[achievement(1, "新标题 储能电站", "储能")])
            .unwrap();
        index.commit(Some(42)).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.watermark(), Some(42));
        assert_eq!(
            index.search("储能", None, 10).unwrap()[0].title,
            "新标题 储能电站"
        );
        index.remove("achievement", 1).unwrap();
        index.commit(None).unwrap();
        assert!(index.is_empty());
    }

    #[test]
    fn the_search_box_adds_records_near_in_meaning_by_kind_above_the_floor() {
        let index = SearchIndex::in_memory().unwrap();
        let mut demand = achievement(10, "冬季电动车续航提升", "冬天电动车续航");
        demand.kind = "demand".into();
        let mut draft = achievement(4, "低温电池草稿", "草稿");
        draft.status = "draft".into();
        index
            .upsert(&[
                achievement(1, "宽温域锂离子电池电解液", "零下四十度保持容量"),
                achievement(2, "五轴数控机床误差补偿", "加工精度"),
                achievement(3, "中药饮片炮制工艺", "炮制"),
                demand,
                draft,
            ])
            .unwrap();
        index.commit(None).unwrap();
        let mut vectors = Vectors::new(3, 1, crate::VectorSettings::default());
        let unit = |x: f32| [x, (1.0 - x * x).sqrt(), 0.0];
        vectors.insert("achievement", 1, 0, &unit(0.90));
        vectors.insert("achievement", 2, 0, &unit(0.87));
        vectors.insert("achievement", 3, 0, &unit(0.60));
        vectors.insert("achievement", 4, 0, &unit(0.99));
        vectors.insert("demand", 10, 0, &unit(0.97));
        *index.vectors_mut() = Some(vectors);
        let mut request = SearchRequest::new("北方冬天续航掉得厉害");
        request.vector = Some(vec![1.0, 0.0, 0.0]);
        request.similarity_floor = 0.85;
        request.similarity_margin = 0.02;
        request.with_facets = true;
        let ids_of = |results: &SearchResults| -> Vec<(String, u64)> {
            results
                .hits
                .iter()
                .map(|h| (h.kind.clone(), h.id))
                .collect()
        };
        // The words find the demand: the nearest public records join it by rank, however far
        // (the fusion puts the farthest last); the draft is not public.
        let results = index.run(&request).unwrap();
        assert_eq!(
            ids_of(&results),
            [
                ("demand".into(), 10),
                ("achievement".into(), 1),
                ("achievement".into(), 2),
                ("achievement".into(), 3)
            ],
            "{results:?}"
        );
        assert_eq!(results.total, 4);
        let electrolyte = &results.hits[1];
        assert!(electrolyte.matched.is_empty());
        assert!((electrolyte.similarity.unwrap() - 0.90).abs() < 0.01);
        assert!(
            electrolyte.snippet.contains("零下四十度"),
            "{}",
            electrolyte.snippet
        );
        assert_eq!(
            results.facets["institution_type"],
            [("university".to_string(), 4)]
        );
        // Words that find nothing: only records near enough in meaning — the nearest of each
        // kind and those within the margin of it (the machine tool is outside the margin, the
        // medicine below the floor).
        let mut unworded = request.clone();
        unworded.text = "北方开车没电".into();
        let results = index.run(&unworded).unwrap();
        assert_eq!(
            ids_of(&results),
            [("demand".into(), 10), ("achievement".into(), 1)],
            "{results:?}"
        );
        assert_eq!(results.total, 2);
        // Without the vector the text alone finds the demand only.
        request.vector = None;
        let results = index.run(&request).unwrap();
        assert_eq!(results.total, 1);
    }

    #[test]
    fn scope_hides_drafts_from_everyone_but_their_owner() {
        let index = SearchIndex::in_memory().unwrap();
        let mut draft = achievement(2, "光伏组件 清洗机器人", "光伏");
        draft.status = "draft".into();
        draft.owner = 7;
        index
            .upsert(&[achievement(1, "光伏逆变器", "光伏"), draft])
            .unwrap();
        index.commit(None).unwrap();
        let ids = |scope| {
            let mut request = SearchRequest::new("光伏");
            request.scope = scope;
            let mut ids: Vec<u64> = index
                .run(&request)
                .unwrap()
                .hits
                .iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(Scope::Public), [1]);
        assert_eq!(ids(Scope::PublicAndOwn(7)), [1, 2]);
        assert_eq!(ids(Scope::PublicAndOwn(8)), [1]);
        assert_eq!(ids(Scope::Listed), [1]);
    }

    #[test]
    fn facets_count_the_matching_records_and_filters_narrow_them() {
        let index = SearchIndex::in_memory().unwrap();
        let mut other = achievement(2, "储能电池 热管理", "储能");
        other.profile.district = "gulou".into();
        other.profile.trl = Some(3);
        other.profile.modes = vec!["licence".into(), "assignment".into()];
        index
            .upsert(&[
                achievement(1, "储能变流器", "储能"),
                other,
                achievement(3, "中药饮片", "炮制"),
            ])
            .unwrap();
        index.commit(None).unwrap();
        let mut request = SearchRequest::new("储能");
        request.with_facets = true;
        let results = index.run(&request).unwrap();
        assert_eq!(results.total, 2);
        let district = &results.facets["district"];
        assert!(district.contains(&("gulou".to_string(), 1)), "{district:?}");
        assert!(district.contains(&("jiangning".to_string(), 1)));
        assert_eq!(results.facets["mode"][0], ("licence".to_string(), 2));
        assert!(results.facets["stage"].contains(&("laboratory".to_string(), 1)));
        request.filters.insert("district".into(), "gulou".into());
        let results = index.run(&request).unwrap();
        assert_eq!(results.total, 1);
        assert_eq!(results.hits[0].id, 2);
        // Newest first.
        request.filters.clear();
        request.sort = Sort::Newest;
        let ids: Vec<u64> = index
            .run(&request)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, [2, 1]);
    }

    #[test]
    fn bad_queries_get_a_message_or_sensible_results_never_a_panic() {
        let index = index_of(&[("光伏组件 功率", "光伏")]);
        assert!(matches!(
            index.search("", None, 10),
            Err(SearchError::EmptyQuery)
        ));
        assert!(matches!(
            index.search("！？🚀🚀", None, 10),
            Err(SearchError::EmptyQuery)
        ));
        // Query syntax characters are just text here.
        let hits = index
            .search("光伏 AND (组件 OR \"功率\") * :", None, 10)
            .unwrap();
        assert_eq!(hits.len(), 1);
        let long = "光伏".repeat(5_000);
        assert_eq!(index.search(&long, None, 10).unwrap().len(), 1);
        // Filter by kind.
        assert!(index.search("光伏", Some("demand"), 10).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_directory_is_made_empty_again_and_a_second_opener_reads_only() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("index");
        {
            let (index, opened) = SearchIndex::open(&path).unwrap();
            assert_eq!(opened, Opened::Created);
            index.upsert(&[achievement(1, "光伏", "光伏")]).unwrap();
            index.commit(Some(5)).unwrap();
            // Another opener while this one writes: read-only, sees the committed record.
            let (second, _) = SearchIndex::open(&path).unwrap();
            assert!(!second.is_writable());
            assert_eq!(second.len(), 1);
            assert!(matches!(second.clear(), Err(SearchError::ReadOnly)));
        }
        let (index, opened) = SearchIndex::open(&path).unwrap();
        assert_eq!(opened, Opened::Existing);
        assert_eq!(index.watermark(), Some(5));
        drop(index);
        std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
        let (index, opened) = SearchIndex::open(&path).unwrap();
        assert!(matches!(opened, Opened::Recreated(_)), "{opened:?}");
        assert!(index.is_empty());
        assert_eq!(index.watermark(), None);
    }
}
