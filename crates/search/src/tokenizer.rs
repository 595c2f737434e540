//! The index's tokenizer: jieba in search mode with the domain dictionary. It borrows the one
//! process-wide `Analyzer` instead of owning a copy of the dictionary, because tantivy clones
//! a tokenizer each time it uses one (for instance per snippet), and cloning a jieba with its
//! dictionary costs tens of milliseconds.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy_jieba::jieba_rs;

use crate::analysis::Analyzer;

#[derive(Clone)]
pub struct DomainTokenizer {
    analyzer: &'static Analyzer,
}

impl DomainTokenizer {
    pub fn new(analyzer: &'static Analyzer) -> Self {
        DomainTokenizer { analyzer }
    }
}

pub struct DomainTokenStream<'a> {
    text: &'a str,
    tokens: Vec<jieba_rs::Token<'a>>,
    index: usize,
    token: Token,
}

impl Tokenizer for DomainTokenizer {
    type TokenStream<'a> = DomainTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> DomainTokenStream<'a> {
        DomainTokenStream {
            text,
            tokens: self.analyzer.segments(text),
            index: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for DomainTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(next) = self.tokens.get(self.index) else {
            return false;
        };
        self.token.offset_from = next.byte_start;
        self.token.offset_to = next.byte_end;
        // Positions in characters, so that overlapping search-mode segments keep their order.
        self.token.position = next.start;
        self.token.position_length = next.end - next.start;
        self.token.text.clear();
        self.token.text.push_str(next.word);
        self.index += 1;
        debug_assert!(self.token.offset_to <= self.text.len());
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The tokenizer of the field relevance is scored on (`Analyzer::search_cut`). The field is
/// not stored and never highlighted, so tokens carry no offsets.
#[derive(Clone)]
pub struct CutTokenizer {
    analyzer: &'static Analyzer,
}

impl CutTokenizer {
    pub fn new(analyzer: &'static Analyzer) -> Self {
        CutTokenizer { analyzer }
    }
}

pub struct CutTokenStream {
    tokens: std::vec::IntoIter<String>,
    position: usize,
    token: Token,
}

impl Tokenizer for CutTokenizer {
    type TokenStream<'a> = CutTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CutTokenStream {
        CutTokenStream {
            tokens: self.analyzer.search_cut(text).into_iter(),
            position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for CutTokenStream {
    fn advance(&mut self) -> bool {
        let Some(next) = self.tokens.next() else {
            return false;
        };
        self.token.text = next;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}
