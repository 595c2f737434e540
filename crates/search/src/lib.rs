//! Chinese search and matching: segmentation with a domain dictionary and synonyms
//! (`analysis`), the tantivy index with queries built from the query's own terms, facets and
//! visibility (`index`), and the matcher that rescores text candidates on structured
//! compatibility with reasons (`matching`), and the records' sentence vectors beside the index (`vectors`). No HTTP, no SQL: the platform feeds it records and
//! asks it questions.

pub mod analysis;
pub mod index;
pub mod matching;
pub mod query;
pub mod tokenizer;
pub mod vectors;

pub use analysis::Analyzer;
pub use index::{
    Candidate, Document, FACETS, Hit, Opened, Profile, Scope, SearchError, SearchIndex,
    SearchRequest, SearchResults, SimilarRecord, Sort, stage_of,
};
pub use matching::{FieldLabels, Fusion, MatchConfig, Recommendation, Seeker, recommend};
pub use query::{QueryWord, TextWeights};
pub use vectors::{VectorError, VectorSettings, Vectors, text_hash};
