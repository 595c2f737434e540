//! The tantivy index of published achievements and demands: one document per record, Chinese
//! text analysed with the domain dictionary, queries built from the query's own segments and
//! their synonyms (tantivy's QueryParser would read an unspaced Chinese query as one phrase).

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term, doc};

use crate::analysis::Analyzer;

/// A query longer than this is cut: ten thousand characters add nothing but time.
pub const MAX_QUERY_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("请输入检索词（标点和表情符号不作为检索词）")]
    EmptyQuery,
    #[error("检索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("检索索引目录出错：{0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
}

/// What the index holds of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// "achievement" or "demand".
    pub kind: String,
    pub id: u64,
    pub title: String,
    pub body: String,
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
}

struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    title: Field,
    body: Field,
}

pub struct SearchIndex {
    analyzer: &'static Analyzer,
    index: Index,
    reader: IndexReader,
    writer: IndexWriter,
    fields: Fields,
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
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_u64_field("id", STORED),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text),
    };
    (builder.build(), fields)
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

    /// The index in `directory`, created when missing.
    pub fn open_or_create(directory: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(directory)
            .map_err(|e| SearchError::Index(tantivy::TantivyError::InternalError(e.to_string())))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(directory)?;
        let index = Index::open_or_create(mmap, schema)?;
        SearchIndex::from_index(index, fields, Analyzer::shared())
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
        let writer = index.writer(50_000_000)?;
        let reader = index.reader()?;
        Ok(SearchIndex {
            analyzer,
            index,
            reader,
            writer,
            fields,
        })
    }

    fn key(document_kind: &str, id: u64) -> String {
        format!("{document_kind}:{id}")
    }

    /// Adds or replaces records; visible to searches after `commit`.
    pub fn upsert(&mut self, documents: &[Document]) -> Result<(), SearchError> {
        for document in documents {
            let key = Self::key(&document.kind, document.id);
            self.writer
                .delete_term(Term::from_field_text(self.fields.key, &key));
            self.writer.add_document(doc!(
                self.fields.key => key,
                self.fields.kind => document.kind.clone(),
                self.fields.id => document.id,
                self.fields.title => document.title.clone(),
                self.fields.body => document.body.clone(),
            ))?;
        }
        Ok(())
    }

    /// Forgets every record (before a rebuild); visible after `commit`.
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    pub fn remove(&mut self, kind: &str, id: u64) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &Self::key(kind, id)));
    }

    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// The query as index terms: its segments, each widened to its synonyms.
    fn query_terms(&self, text: &str) -> Result<Vec<Vec<String>>, SearchError> {
        let cut: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let analyzer = self.analyzer;
        let mut seen = std::collections::HashSet::new();
        let groups: Vec<Vec<String>> = analyzer
            .terms(&cut)
            .into_iter()
            .filter(|term| seen.insert(term.clone()))
            .map(|term| analyzer.widen(&term))
            .collect();
        if groups.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        Ok(groups)
    }

    /// The ids and scores of the best `top` records for `text`, without reading their stored
    /// text (no snippet, no matched terms): for evaluation and matching.
    pub fn search_ids(&self, text: &str, top: usize) -> Result<Vec<(u64, f32)>, SearchError> {
        let query = self.text_query(&self.query_terms(text)?);
        let searcher = self.reader.searcher();
        let top_docs =
            searcher.search(&query, &TopDocs::with_limit(top.max(1)).order_by_score())?;
        let mut hits = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs {
            let document: TantivyDocument = searcher.doc(address)?;
            let id = document
                .get_first(self.fields.id)
                .and_then(|v| v.as_u64())
                .unwrap_or_default();
            hits.push((id, score));
        }
        Ok(hits)
    }

    /// Every form of every query term, in title (weighing double) and body.
    fn text_query(&self, groups: &[Vec<String>]) -> Box<dyn Query> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for group in groups {
            for (position, form) in group.iter().enumerate() {
                // A synonym counts a little less than the word the user wrote.
                let weight = if position == 0 { 1.0 } else { 0.8 };
                for (field, boost) in [(self.fields.title, 2.0), (self.fields.body, 1.0)] {
                    let term = TermQuery::new(
                        Term::from_field_text(field, form),
                        IndexRecordOption::WithFreqs,
                    );
                    should.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(term), boost * weight)),
                    ));
                }
            }
        }
        Box::new(BooleanQuery::new(should))
    }

    /// The best `top` records of `kind` (or of both kinds) for `text`.
    pub fn search(
        &self,
        text: &str,
        kind: Option<&str>,
        top: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let groups = self.query_terms(text)?;
        let text_query = self.text_query(&groups);
        let query: Box<dyn Query> = match kind {
            Some(kind) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.kind, kind),
                        IndexRecordOption::Basic,
                    )),
                ),
            ])),
            None => text_query,
        };
        let searcher = self.reader.searcher();
        let top_docs =
            searcher.search(&query, &TopDocs::with_limit(top.max(1)).order_by_score())?;
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        snippets.set_max_num_chars(120);
        let analyzer = self.analyzer;
        let mut hits = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs {
            let document: TantivyDocument = searcher.doc(address)?;
            let text_of = |field: Field| {
                document
                    .get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let title = text_of(self.fields.title);
            let record_terms: std::collections::HashSet<String> = analyzer
                .terms(&format!("{title} {}", text_of(self.fields.body)))
                .into_iter()
                .collect();
            let mut matched: Vec<String> = Vec::new();
            for form in groups.iter().flatten() {
                if record_terms.contains(form) && !matched.contains(form) {
                    matched.push(form.clone());
                }
            }
            hits.push(Hit {
                kind: text_of(self.fields.kind),
                id: document
                    .get_first(self.fields.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default(),
                title,
                score,
                snippet: snippets.snippet_from_doc(&document).to_html(),
                matched,
            });
        }
        Ok(hits)
    }

    /// How many records the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tantivy index itself (for diagnostics).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(titles: &[(&str, &str)]) -> SearchIndex {
        let mut index = SearchIndex::in_memory().unwrap();
        let documents: Vec<Document> = titles
            .iter()
            .enumerate()
            .map(|(i, (title, body))| Document {
                kind: "achievement".into(),
                id: i as u64 + 1,
                title: title.to_string(),
                body: body.to_string(),
            })
            .collect();
        index.upsert(&documents).unwrap();
        index.commit().unwrap();
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
            hits[0].snippet.contains("<b>材料</b>"),
            "{}",
            hits[0].snippet
        );
        // A synonym: 集成电路 finds the chip record.
        let hits = index.search("集成电路设计", None, 10).unwrap();
        assert_eq!(hits[0].id, 2, "{hits:?}");
        assert!(hits[0].matched.contains(&"芯片".to_string()), "{hits:?}");
    }

    #[test]
    fn replacing_a_record_keeps_one_copy_and_removing_drops_it() {
        let mut index = index_of(&[("旧标题 储能", "储能系统")]);
        index
            .upsert(&[Document {
                kind: "achievement".into(),
                id: 1,
                title: "新标题 储能电站".into(),
                body: "储能".into(),
            }])
            .unwrap();
        index.commit().unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(
            index.search("储能", None, 10).unwrap()[0].title,
            "新标题 储能电站"
        );
        index.remove("achievement", 1);
        index.commit().unwrap();
        assert!(index.is_empty());
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
}
