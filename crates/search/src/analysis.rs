//! Chinese text analysis: jieba with the domain dictionary (`data/terms.txt`), each long word
//! followed by the dictionary words inside it, function words left out (`data/stopwords.txt`),
//! and the synonym table (`data/synonyms.txt`) that widens a query term to its equivalents.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use tantivy_jieba::jieba_rs::{Jieba, Token, TokenizeMode};

const TERMS: &str = include_str!("../data/terms.txt");
const SYNONYMS: &str = include_str!("../data/synonyms.txt");
const STOP_WORDS: &str = include_str!("../data/stopwords.txt");

/// Whether jieba guesses words its dictionaries do not have from runs of single characters
/// (its hidden Markov model). Off: the guesses made pieces such as "前用" (使用前用水冲洗) that
/// matched unrelated records; an unknown run stays single characters, and the in-word parts
/// and the domain dictionary find the real words.
const GUESS_UNKNOWN_WORDS: bool = false;

/// Bumped whenever the analysis changes what the index holds: an index written under another
/// version is rebuilt (see `SearchIndex::watermark`).
pub const ANALYSIS_VERSION: u32 = 3;

/// A word of a text as the matcher reads it: the word (lower-cased) and the dictionary words
/// inside it, which find records that write the same thing with another compound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub parts: Vec<String>,
}

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
    /// Function words, left out of the index and of queries (empty for the plain analyzer).
    stop_words: HashSet<&'static str>,
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
                stop_words: HashSet::new(),
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
        let stop_words = STOP_WORDS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect();
        Analyzer {
            jieba,
            mode: TokenizeMode::Search,
            synonyms,
            stop_words,
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

    /// Whether a whole word is a function word (的, 我们, 希望 …), left out of the index and of
    /// queries.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// The segments of a text, in order, as the index holds them. The domain analyzer takes
    /// jieba's precise cut without function words and adds, after each word of three or more
    /// characters, every dictionary word inside it — jieba's own search mode adds only two- and
    /// three-character parts, so "集成电路设计" would not yield "集成电路". The plain analyzer is
    /// jieba's precise cut alone.
    /// A part keeps its own character positions but carries its word's byte range, so byte
    /// ranges never go backwards, as tantivy's snippets need (nested ranges made `to_html`
    /// panic); a highlighted part highlights its whole word.
    pub fn segments<'a>(&self, text: &'a str) -> Vec<Token<'a>> {
        let words = self
            .jieba
            .tokenize(text, TokenizeMode::Default, self.guesses_unknown_words());
        if self.mode == TokenizeMode::Default {
            return words;
        }
        let mut segments = Vec::with_capacity(words.len() * 2);
        for word in words {
            if self.is_stop_word(word.word) || !word.word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let length = word.end - word.start;
            let (start, byte_start, byte_end, whole) =
                (word.start, word.byte_start, word.byte_end, word.word);
            segments.push(word);
            if length < 3 {
                continue;
            }
            for (from, size, part) in self.parts_of(whole, length) {
                segments.push(Token {
                    word: part,
                    start: start + from,
                    end: start + from + size,
                    byte_start,
                    byte_end,
                });
            }
        }
        segments
    }

    fn guesses_unknown_words(&self) -> bool {
        GUESS_UNKNOWN_WORDS || self.mode == TokenizeMode::Default
    }

    /// The dictionary words inside a word of `length` characters (not the word itself), with
    /// their character offset and size, longest first at each offset.
    fn parts_of<'a>(&self, whole: &'a str, length: usize) -> Vec<(usize, usize, &'a str)> {
        let bounds: Vec<usize> = whole
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(whole.len()))
            .collect();
        let mut parts = Vec::new();
        for from in 0..length.saturating_sub(1) {
            for size in (2..=(length - from).min(length - 1)).rev() {
                let part = &whole[bounds[from]..bounds[from + size]];
                if self.jieba.has_word(part) && !self.is_stop_word(part) {
                    parts.push((from, size, part));
                }
            }
        }
        parts
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

    /// The tokens relevance is scored on: jieba's search cut with the domain dictionary and
    /// jieba's guess of unknown words (each word, and the two- and three-character words inside
    /// a longer one), lower-cased, without punctuation — the cut of the plain BM25 the matcher
    /// is measured against, with the domain's words kept whole (so that synonyms apply). Function words
    /// stay: they weigh little (BM25's rarity) and the caller decides (`TextWeights`).
    /// jieba's search mode adds only two- and three-character words; the dictionary words of
    /// four and more characters inside a longer word are added too ("集成电路设计" yields
    /// "集成电路", whose synonyms then apply).
    pub fn search_cut(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        for token in self.jieba.cut_for_search(text, true) {
            let word = token.word.trim().to_lowercase();
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let length = word.chars().count();
            if length > 4 && self.mode != TokenizeMode::Default {
                for (_, size, part) in self.parts_of(&word, length) {
                    if size >= 4 {
                        tokens.push(part.to_string());
                    }
                }
            }
            tokens.push(word);
        }
        tokens
    }

    /// The words of a text (lower-cased, without function words and punctuation), each with
    /// the dictionary words inside it, in order: what a query is built from, so that a word and
    /// its parts count once (`SearchIndex::text_query`).
    pub fn words(&self, text: &str) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        let mut current: Option<(usize, usize)> = None;
        for token in self.segments(text) {
            let word = token.word.trim().to_lowercase();
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let range = (token.byte_start, token.byte_end);
            // A part carries its word's byte range and is shorter than it.
            let is_part = current == Some(range)
                && words
                    .last()
                    .is_some_and(|w| w.text.chars().count() > token.end - token.start);
            if is_part && self.mode != TokenizeMode::Default {
                if let Some(last) = words.last_mut()
                    && !last.parts.contains(&word)
                {
                    last.parts.push(word);
                }
                continue;
            }
            current = Some(range);
            words.push(Word {
                text: word,
                parts: Vec::new(),
            });
        }
        words
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
    fn function_words_are_left_out_but_words_containing_them_stay() {
        let analyzer = Analyzer::shared();
        let terms = analyzer.terms("我们希望在无人机的可靠性上合作");
        for gone in ["我们", "希望", "在", "的", "上"] {
            assert!(!terms.contains(&gone.to_string()), "{gone}: {terms:?}");
        }
        assert!(terms.contains(&"无人机".to_string()), "{terms:?}");
        assert!(terms.contains(&"可靠性".to_string()), "{terms:?}");
        // The plain analyzer (the baseline) keeps them.
        assert!(
            Analyzer::plain()
                .terms("我们的电池")
                .contains(&"的".to_string())
        );
    }

    #[test]
    fn a_word_carries_its_parts_and_no_guessed_pieces() {
        let analyzer = Analyzer::shared();
        let words = analyzer.words("第三方检测机构");
        let third = words
            .iter()
            .find(|w| w.text == "第三方")
            .unwrap_or_else(|| panic!("{words:?}"));
        assert!(third.parts.contains(&"第三".to_string()), "{words:?}");
        // Parts are not words of their own.
        assert!(words.iter().all(|w| w.text != "三方"), "{words:?}");
        // No word is guessed from single characters the dictionaries do not know.
        let words = analyzer.words("使用前用清水冲洗");
        assert!(words.iter().all(|w| w.text != "前用"), "{words:?}");
    }

    #[test]
    fn punctuation_and_emoji_leave_no_terms() {
        assert!(Analyzer::shared().terms("！？。，🚀🚀 ").is_empty());
    }
}
