//! Chinese text analysis: jieba in search mode with the domain dictionary (`data/terms.txt`),
//! and the synonym table (`data/synonyms.txt`) that widens a query term to its equivalents.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tantivy_jieba::jieba_rs::{Jieba, Token, TokenizeMode};

const TERMS: &str = include_str!("../data/terms.txt");
const SYNONYMS: &str = include_str!("../data/synonyms.txt");

/// Words every record uses ("一种…方法", "合作", the demo's "演示"): they still count in the
/// ranking (BM25 gives them little weight) but are not offered as a reason for a match.
const GENERIC: &[&str] = &[
    "一种", "及其", "方法", "装置", "系统", "技术", "成果", "需求", "合作", "研究", "演示", "应用",
    "相关", "实现", "基于", "用于", "进行", "提供", "公司", "希望", "解决", "问题", "欢迎", "团队",
    "联系", "生产", "实际", "方面", "寻找", "面向", "完成", "制备", "以及",
];

/// The domain dictionary: each term with the technical field (its label) it was listed under.
pub fn domain_terms() -> Vec<(&'static str, &'static str)> {
    TERMS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let term = parts.next()?;
            let field = parts.nth(1)?;
            Some((term, field))
        })
        .collect()
}

/// Is this a word too common to explain a match?
pub fn is_generic(term: &str) -> bool {
    GENERIC.contains(&term)
}

/// Segmentation and synonyms, built once per process (the dictionary takes a moment).
pub struct Analyzer {
    jieba: Jieba,
    /// Search mode (each long word and its known parts) for the platform; jieba's default,
    /// precise cut for the baseline.
    mode: TokenizeMode,
    /// Each term of a synonym group → the whole group (lower-cased).
    synonyms: HashMap<String, Arc<Vec<String>>>,
    term_count: usize,
}

impl Analyzer {
    pub fn shared() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::new(true))
    }

    /// jieba's own dictionary and its default (precise) cut, no domain terms, no synonyms:
    /// "plain BM25 over jieba tokens", the baseline the matcher is measured against.
    pub fn plain() -> &'static Analyzer {
        static PLAIN: OnceLock<Analyzer> = OnceLock::new();
        PLAIN.get_or_init(|| Analyzer::new(false))
    }

    fn new(domain: bool) -> Analyzer {
        let mut jieba = Jieba::new();
        if !domain {
            return Analyzer {
                jieba,
                mode: TokenizeMode::Default,
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
            mode: TokenizeMode::Search,
            synonyms,
            term_count,
        }
    }

    /// The jieba instance with the domain dictionary, for the index's tokenizer.
    pub fn jieba(&self) -> &Jieba {
        &self.jieba
    }

    /// Whether queries lean on their rarer words (`index::COMMON_SHARE`); the plain baseline
    /// is BM25 as it comes.
    pub fn prunes_common_words(&self) -> bool {
        self.mode != TokenizeMode::Default
    }

    pub fn mode(&self) -> TokenizeMode {
        self.mode
    }

    pub fn term_count(&self) -> usize {
        self.term_count
    }

    /// The segments of a text, in order. The domain analyzer takes jieba's precise cut and adds,
    /// after each word of three or more characters, every dictionary word inside it — jieba's
    /// own search mode adds only two- and three-character parts, so "集成电路设计" would not
    /// yield "集成电路". The plain analyzer is jieba's precise cut alone.
    /// A part keeps its own character positions but carries its word's byte range, so byte
    /// ranges never go backwards, as tantivy's snippets need (nested ranges made `to_html`
    /// panic); a highlighted part highlights its whole word.
    pub fn segments<'a>(&self, text: &'a str) -> Vec<Token<'a>> {
        let words = self.jieba.tokenize(text, TokenizeMode::Default, true);
        if self.mode == TokenizeMode::Default {
            return words;
        }
        let mut segments = Vec::with_capacity(words.len() * 2);
        for word in words {
            let length = word.end - word.start;
            let (start, byte_start, byte_end, whole) =
                (word.start, word.byte_start, word.byte_end, word.word);
            segments.push(word);
            if length < 3 {
                continue;
            }
            // Byte offset of each character of the word, and of its end.
            let bounds: Vec<usize> = whole
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(whole.len()))
                .collect();
            for from in 0..length - 1 {
                for size in (2..=(length - from).min(length - 1)).rev() {
                    let part = &whole[bounds[from]..bounds[from + size]];
                    if self.jieba.has_word(part) {
                        segments.push(Token {
                            word: part,
                            start: start + from,
                            end: start + from + size,
                            byte_start,
                            byte_end,
                        });
                    }
                }
            }
        }
        segments
    }

    /// The terms of a text as the index sees them: its segments, lower-cased, without
    /// whitespace and punctuation.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.segments(text)
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
        assert!(analyzer.term_count() >= 2_000);
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
