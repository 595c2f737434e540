//! Chinese text analysis: jieba in search mode with the domain dictionary (`data/terms.txt`),
//! and the synonym table (`data/synonyms.txt`) that widens a query term to its equivalents.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tantivy_jieba::jieba_rs::{Jieba, TokenizeMode};

const TERMS: &str = include_str!("../data/terms.txt");
const SYNONYMS: &str = include_str!("../data/synonyms.txt");

/// Segmentation and synonyms, built once per process (the dictionary takes a moment).
pub struct Analyzer {
    jieba: Jieba,
    /// Each term of a synonym group → the whole group (lower-cased).
    synonyms: HashMap<String, Arc<Vec<String>>>,
    term_count: usize,
}

impl Analyzer {
    pub fn shared() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::new(true))
    }

    /// jieba's own dictionary, no domain terms, no synonyms: the baseline the matcher is
    /// measured against.
    pub fn plain() -> &'static Analyzer {
        static PLAIN: OnceLock<Analyzer> = OnceLock::new();
        PLAIN.get_or_init(|| Analyzer::new(false))
    }

    fn new(domain: bool) -> Analyzer {
        let mut jieba = Jieba::new();
        if !domain {
            return Analyzer {
                jieba,
                synonyms: HashMap::new(),
                term_count: 0,
            };
        }
        let mut term_count = 0;
        for line in TERMS.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            if let Some(term) = parts.next() {
                let frequency = parts.next().and_then(|f| f.parse().ok());
                jieba.add_word(term, frequency, None);
                term_count += 1;
            }
        }
        let mut synonyms = HashMap::new();
        for line in SYNONYMS.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let group: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
            for term in line.split_whitespace() {
                if term.chars().count() > 1 {
                    jieba.add_word(term, Some(50_000), None);
                }
            }
            let group = Arc::new(group);
            for term in group.iter() {
                synonyms.insert(term.clone(), group.clone());
            }
        }
        Analyzer {
            jieba,
            synonyms,
            term_count,
        }
    }

    /// The jieba instance with the domain dictionary, for the index's tokenizer.
    pub fn jieba(&self) -> &Jieba {
        &self.jieba
    }

    pub fn term_count(&self) -> usize {
        self.term_count
    }

    /// The terms of a text as the index sees them: search-mode segments, lower-cased, without
    /// whitespace and punctuation.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.jieba
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .map(|token| token.word.trim().to_lowercase())
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .collect()
    }

    /// A term and its synonyms (the term itself first).
    pub fn widen(&self, term: &str) -> Vec<String> {
        match self.synonyms.get(term) {
            Some(group) => {
                let mut all = vec![term.to_string()];
                all.extend(group.iter().filter(|t| *t != term).cloned());
                all
            }
            None => vec![term.to_string()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_terms_stay_whole_and_search_mode_adds_their_parts() {
        let analyzer = Analyzer::shared();
        let terms = analyzer.terms("一种锂离子电池正极材料的制备方法");
        assert!(terms.contains(&"锂离子电池".to_string()), "{terms:?}");
        assert!(terms.contains(&"正极材料".to_string()), "{terms:?}");
        let terms = analyzer.terms("锂电池材料");
        assert!(terms.contains(&"锂电池".to_string()), "{terms:?}");
        assert!(analyzer.term_count() >= 400);
    }

    #[test]
    fn synonyms_widen_a_term_both_ways() {
        let analyzer = Analyzer::shared();
        assert_eq!(analyzer.widen("芯片"), ["芯片", "集成电路", "ic"]);
        assert!(analyzer.widen("ai").contains(&"人工智能".to_string()));
        assert_eq!(analyzer.widen("没有同义词"), ["没有同义词"]);
    }

    #[test]
    fn punctuation_and_emoji_leave_no_terms() {
        assert!(Analyzer::shared().terms("！？。，🚀🚀 ").is_empty());
    }
}
