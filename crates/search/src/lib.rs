//! Chinese search over the published lists: segmentation with a domain dictionary and
//! synonyms (`analysis`), and the tantivy index with queries built from the query's own terms
//! (`index`). No HTTP, no SQL: the platform feeds it records and asks it questions.

pub mod analysis;
pub mod index;
pub mod tokenizer;

pub use analysis::Analyzer;
pub use index::{Document, Hit, SearchError, SearchIndex};
