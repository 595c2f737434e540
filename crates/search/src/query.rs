//! How a text becomes a query. Each token of the text's search cut (`Analyzer::search_cut`: a
//! word and the dictionary words inside it, as the plain BM25 baseline cuts) is one clause, the
//! best of the token and its synonyms; function words never make a hit by themselves. (Grouping
//! a word with the words inside it as one clause was measured in session 8 and was no better;
//! a rare compound is kept from outweighing the rest of a need by the rarity of its parts and
//! the √n weight of repeats.) A clause is scored by BM25 over the record's whole text (title
//! and body as one field), with the length normalisation pivoted at a described record's length rather than the
//! index's average (`TextWeights::pivot`): most records of a large index are bare titles, and
//! measured against them a long relevant summary would lose to a short title for its length
//! alone. A word the text uses more than once weighs a little more. Long texts keep the words
//! that say most (`telling_words`).

use std::collections::HashMap;

use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, Occur,
    Query, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::index::{COMMON_MINIMUM, COMMON_SHARE, MAX_QUERY_CHARS, SearchError, SearchIndex};

/// One word of a query: its forms (the word first, then its synonyms) and how often the text
/// uses it. (The search cut gives the dictionary words inside a word as words of their own.)
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    pub forms: Vec<String>,
    pub count: usize,
}

impl QueryWord {
    /// Every form the word can be found by.
    pub fn all_forms(&self) -> impl Iterator<Item = &String> {
        self.forms.iter()
    }
}

/// The weights of a text query's pieces. Chosen on the tuning set (`bench/eval/matching-set`),
/// reported on the held-out one (`bench/matching-eval`, BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextWeights {
    /// Extra weight of a word found in the title (the whole text counts 1).
    pub title: f32,
    /// A synonym against the word the user wrote.
    pub synonym: f32,
    /// How much the other forms of a word add to its best one (0: only the best counts).
    pub tie: f32,
    /// A word used n times weighs n ^ repeat (1: as often as it is used, as BM25 sums).
    pub repeat: f32,
    /// A word of one character (溶, 药, 出 …): such words are in thousands of unrelated records
    /// and, summed, let short titles outrank the records that share the need's real words.
    pub single: f32,
    /// A function word (的, 我们, 希望 …, `data/stopwords.txt`).
    pub function: f32,
    /// The record length (in tokens) at which BM25's length normalisation neither rewards nor
    /// penalises, when it is above the index's average (0: the average). Most records of a
    /// large index are bare titles of a dozen words; measured against their average, a
    /// described record of a hundred and fifty words counts each matching word at a fifth of a
    /// title's, and a title sharing one word outranks the summary sharing ten.
    pub pivot: f32,
}

impl TextWeights {
    pub const SHIPPED: TextWeights = TextWeights {
        title: 0.0,
        synonym: 0.8,
        tie: 0.1,
        repeat: 0.5,
        single: 1.0,
        function: 1.0,
        pivot: 500.0,
    };
}

impl Default for TextWeights {
    fn default() -> Self {
        TextWeights::SHIPPED
    }
}

impl SearchIndex {
    /// The query's tokens (`Analyzer::search_cut`), each widened to its synonyms, in order of
    /// first use, with how often the text uses it. A query of function words and punctuation
    /// alone is empty.
    pub fn query_terms(&self, text: &str) -> Result<Vec<QueryWord>, SearchError> {
        let cut: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let analyzer = self.analyzer();
        let mut words: Vec<QueryWord> = Vec::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        let tokens = if analyzer.prunes_common_words() {
            analyzer.search_cut(&cut)
        } else {
            analyzer.terms(&cut)
        };
        if tokens.iter().all(|t| analyzer.is_stop_word(t)) {
            return Err(SearchError::EmptyQuery);
        }
        for token in tokens {
            match position.get(&token) {
                Some(&at) => words[at].count += 1,
                None => {
                    position.insert(token.clone(), words.len());
                    words.push(QueryWord {
                        forms: analyzer.widen(&token),
                        count: 1,
                    });
                }
            }
        }
        if words.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        Ok(words)
    }

    /// The words that say most about a long text, as Lucene's "more like this" picks them:
    /// how often the text uses a word times how rare it is in the index, best first, while the
    /// postings they would read stay within `budget` (the best one always). A demand's whole
    /// text has thirty and more words; on a large index its frequent words would make each
    /// candidate search read most of the index for little change in rank.
    pub(crate) fn telling_words(
        &self,
        searcher: &Searcher,
        text: &str,
        budget: u64,
    ) -> Result<Vec<QueryWord>, SearchError> {
        let words = self.query_terms(text)?;
        let documents = searcher.num_docs() as f64;
        let mut weighed: Vec<(usize, f64, u64)> = Vec::with_capacity(words.len());
        for (position, word) in words.iter().enumerate() {
            let frequencies = self.form_frequencies(searcher, word.all_forms());
            let frequency = frequencies.iter().copied().max().unwrap_or(0);
            // A word no record uses finds nothing: it must not take the place of one that does.
            if frequency == 0 {
                continue;
            }
            let frequency = frequency as f64;
            let rarity = (1.0 + (documents - frequency + 0.5) / (frequency + 0.5)).ln();
            weighed.push((
                position,
                word.count as f64 * rarity,
                frequencies.iter().sum(),
            ));
        }
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut spent = 0;
        let mut kept: Vec<usize> = Vec::with_capacity(weighed.len());
        for (position, _, postings) in weighed {
            if kept.is_empty() || spent + postings <= budget {
                spent += postings;
                kept.push(position);
            }
        }
        if kept.is_empty() {
            // Nothing in the index uses any of the words: the search finds nothing either way.
            return Ok(words);
        }
        kept.sort_unstable();
        Ok(kept.into_iter().map(|p| words[p].clone()).collect())
    }

    /// How many records hold each form (in the whole text).
    fn form_frequencies<'a>(
        &self,
        searcher: &Searcher,
        forms: impl Iterator<Item = &'a String>,
    ) -> Vec<u64> {
        let field = self.fields().text;
        forms
            .map(|form| {
                searcher
                    .doc_freq(&Term::from_field_text(field, form))
                    .unwrap_or(0)
            })
            .collect()
    }

    /// How many records hold the word in any of its forms (at least).
    fn word_frequency(&self, searcher: &Searcher, word: &QueryWord) -> u64 {
        self.form_frequencies(searcher, word.all_forms())
            .into_iter()
            .max()
            .unwrap_or(0)
    }

    /// One clause per word (see the module's description). Words in more than COMMON_SHARE of
    /// all records ("问题", "技术", "系统") would make every search walk most of the index: when
    /// the query has rarer words, a record must match one of those, and the common words only
    /// add to its score.
    pub(crate) fn text_query(&self, searcher: &Searcher, words: &[QueryWord]) -> Box<dyn Query> {
        let pivot = self.text_weights().pivot;
        let query = self.text_clauses(searcher, words);
        if pivot <= 0.0 {
            return query;
        }
        Box::new(Pivoted {
            query,
            field: self.fields().text,
            pivot,
        })
    }

    fn text_clauses(&self, searcher: &Searcher, words: &[QueryWord]) -> Box<dyn Query> {
        let weights = self.text_weights();
        let fields = self.fields();
        let form = |form: &str, weight: f32| -> Box<dyn Query> {
            let term = |field| {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, form),
                    IndexRecordOption::WithFreqs,
                )) as Box<dyn Query>
            };
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Should, term(fields.text))];
            if weights.title > 0.0 {
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(term(fields.title), weights.title)),
                ));
            }
            Box::new(BoostQuery::new(
                Box::new(BooleanQuery::new(clauses)),
                weight,
            ))
        };
        let clause = |word: &QueryWord| -> (Occur, Box<dyn Query>) {
            let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
            for (position, f) in word.forms.iter().enumerate() {
                alternatives.push(form(f, if position == 0 { 1.0 } else { weights.synonym }));
            }
            let best: Box<dyn Query> = if alternatives.len() == 1 {
                alternatives.pop().expect("one alternative")
            } else {
                Box::new(DisjunctionMaxQuery::with_tie_breaker(
                    alternatives,
                    weights.tie,
                ))
            };
            let mut repeat = (word.count as f32).powf(weights.repeat);
            if word.forms[0].chars().count() == 1 {
                repeat *= weights.single;
            }
            if self.analyzer().is_stop_word(&word.forms[0]) {
                repeat *= weights.function;
            }
            if repeat <= 0.0 {
                repeat = f32::MIN_POSITIVE;
            }
            (Occur::Should, Box::new(BoostQuery::new(best, repeat)))
        };
        let all = |words: &[&QueryWord]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(words.iter().map(|w| clause(w)).collect()))
        };
        let everything: Vec<&QueryWord> = words.iter().collect();
        if !self.analyzer().prunes_common_words() {
            return all(&everything);
        }
        // A function word never makes a record a hit by itself (的 is in most records); it
        // only adds to the score of records that have the query's other words.
        let function = |word: &QueryWord| self.analyzer().is_stop_word(&word.forms[0]);
        let common_above = COMMON_MINIMUM.max((searcher.num_docs() as f64 * COMMON_SHARE) as u64);
        let (common, mut rare): (Vec<&QueryWord>, Vec<&QueryWord>) = words
            .iter()
            .partition(|word| function(word) || self.word_frequency(searcher, word) > common_above);
        if rare.is_empty() {
            // Only common words: every one that is not a function word may make a hit.
            rare = common.iter().copied().filter(|w| !function(w)).collect();
            if rare.is_empty() {
                // Function words alone find nothing.
                return Box::new(tantivy::query::EmptyQuery);
            }
            let rest: Vec<&QueryWord> = common.into_iter().filter(|w| function(w)).collect();
            if rest.is_empty() {
                return all(&rare);
            }
            return Box::new(BooleanQuery::new(vec![
                (Occur::Must, all(&rare)),
                (Occur::Should, all(&rest)),
            ]));
        }
        if common.is_empty() {
            return all(&everything);
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, all(&rare)),
            (Occur::Should, all(&common)),
        ]))
    }

    /// Every form of every word in the body, for highlighting a snippet (the scoring query
    /// reads the whole text, which is not stored).
    pub(crate) fn highlight_query(&self, words: &[QueryWord]) -> Box<dyn Query> {
        let body = self.fields().body;
        Box::new(BooleanQuery::new(
            words
                .iter()
                .flat_map(QueryWord::all_forms)
                .map(|form| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(body, form),
                            IndexRecordOption::WithFreqs,
                        )) as Box<dyn Query>,
                    )
                })
                .collect(),
        ))
    }

    /// What to try when a query found nothing: words of the domain dictionary the index holds
    /// that share the most characters with the query (a typo, a longer or shorter form), the
    /// most used first; for a query with nothing to go on, the most used words of the index.
    pub fn suggestions(&self, text: &str, n: usize) -> Vec<String> {
        let searcher = self.reader().searcher();
        let field = self.fields().text;
        let used = |term: &str| {
            searcher
                .doc_freq(&Term::from_field_text(field, &term.to_lowercase()))
                .unwrap_or(0)
        };
        let wanted: Vec<char> = self
            .analyzer()
            .words(text)
            .iter()
            .flat_map(|w| w.text.chars().collect::<Vec<_>>())
            .filter(|c| c.is_alphanumeric())
            .collect();
        let mut scored: Vec<(usize, u64, &str)> = Vec::new();
        for (term, _) in crate::analysis::domain_terms() {
            let shared = if wanted.is_empty() {
                0
            } else {
                let chars: Vec<char> = term.chars().collect();
                let shared = chars.iter().filter(|c| wanted.contains(c)).count();
                // At least two characters, and at least half of the term's.
                if shared < 2 || shared * 2 < chars.len() || term == text.trim() {
                    continue;
                }
                shared
            };
            let frequency = used(term);
            if frequency > 0 {
                scored.push((shared, frequency, term));
            }
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        scored.dedup_by(|a, b| a.2 == b.2);
        scored
            .into_iter()
            .take(n)
            .map(|(_, _, term)| term.to_string())
            .collect()
    }
}

/// A query scored as if the average length of `field` were at least `pivot` tokens
/// (`TextWeights::pivot`).
#[derive(Debug)]
struct Pivoted {
    query: Box<dyn Query>,
    field: Field,
    pivot: f32,
}

impl Clone for Pivoted {
    fn clone(&self) -> Self {
        Pivoted {
            query: self.query.box_clone(),
            field: self.field,
            pivot: self.pivot,
        }
    }
}

/// The searcher's statistics, with the pivot's length for the text field.
struct PivotedStatistics<'a> {
    inner: &'a dyn Bm25StatisticsProvider,
    field: Field,
    pivot: f32,
}

impl Bm25StatisticsProvider for PivotedStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let tokens = self.inner.total_num_tokens(field)?;
        if field != self.field {
            return Ok(tokens);
        }
        let pivoted = (f64::from(self.pivot) * self.inner.total_num_docs()? as f64) as u64;
        Ok(tokens.max(pivoted))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.inner.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.inner.doc_freq(term)
    }
}

impl Query for Pivoted {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match scoring {
            EnableScoring::Enabled {
                searcher,
                statistics_provider,
            } => {
                let statistics = PivotedStatistics {
                    inner: statistics_provider,
                    field: self.field,
                    pivot: self.pivot,
                };
                self.query
                    .weight(EnableScoring::enabled_from_statistics_provider(
                        &statistics,
                        searcher,
                    ))
            }
            disabled => self.query.weight(disabled),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
    }
}

#[cfg(test)]
mod tests {
    use crate::TextWeights;
    use crate::index::{Document, SearchIndex, SearchRequest, group_near_duplicates};

    fn index_of(records: &[(&str, &str)]) -> SearchIndex {
        let index = SearchIndex::in_memory().unwrap();
        let documents: Vec<Document> = records
            .iter()
            .enumerate()
            .map(|(i, (title, body))| Document {
                kind: "achievement".into(),
                id: i as u64 + 1,
                title: title.to_string(),
                body: body.to_string(),
                status: "published".into(),
                ..Document::default()
            })
            .collect();
        index.upsert(&documents).unwrap();
        index.commit(None).unwrap();
        index
    }

    fn ids(index: &SearchIndex, text: &str) -> Vec<u64> {
        index
            .search_ids(text, 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn a_rare_word_does_not_outweigh_the_rest_of_the_need() {
        // Record 1 has the rare compound and both of its parts; record 2 has the need's other
        // words. Counted once, the compound does not outweigh the rest of the need.
        let index = index_of(&[
            ("第三方登录 第三 三方", "第三方账号登录"),
            ("医院检验外包服务", "为医院提供检验外包与化验服务"),
            ("机床主轴", "主轴动平衡"),
        ]);
        let found = ids(&index, "我们是帮医院做化验的第三方机构，想承接检验外包");
        assert_eq!(found.first(), Some(&2), "{found:?}");
        // Repeating a word weighs it by the square root of its uses, not more.
        let words = index
            .query_terms("第三方 第三方 第三方 第三方 机构")
            .unwrap();
        let third = words.iter().find(|w| w.forms[0] == "第三方").unwrap();
        assert_eq!(third.count, 4);
    }

    #[test]
    fn a_long_relevant_summary_is_not_beaten_by_a_short_title_for_its_length() {
        let index = index_of(&[
            ("锂电池", ""),
            (
                "动力电池热失控预警系统",
                "监测锂电池电芯温度与气体，提前预警动力电池热失控，适用于储能电站和电动汽车",
            ),
        ]);
        let found = ids(&index, "储能电站锂电池热失控提前预警");
        assert_eq!(found.first(), Some(&2), "{found:?}");
    }

    #[test]
    fn among_many_bare_titles_a_described_record_is_not_penalised_for_its_length() {
        // Most records are titles of a few words; the one described record shares four of the
        // need's words, a title shares one. Measured against the titles' average length, the
        // summary's words would each count a fraction of the title's.
        let mut records: Vec<(String, String)> = vec![
            ("锂电池".into(), String::new()),
            (
                "电芯安全监测平台".into(),
                "面向储能电站的电芯温度、气体与电压在线监测，发现热失控前兆并提前报警，\
                 已在多个储能项目中运行，可按电站规模定制部署，提供运维培训与数据分析服务"
                    .into(),
            ),
        ];
        for i in 0..60 {
            records.push((format!("机床主轴动平衡装置{i}"), String::new()));
            records.push((format!("中药饮片炮制工艺{i}"), String::new()));
        }
        let refs: Vec<(&str, &str)> = records
            .iter()
            .map(|(t, b)| (t.as_str(), b.as_str()))
            .collect();
        let index = index_of(&refs);
        let need = "储能电站的锂电池热失控要提前报警，需要在线监测";
        assert_eq!(ids(&index, need).first(), Some(&2));
        index.set_text_weights(TextWeights {
            pivot: 0.0,
            ..TextWeights::SHIPPED
        });
        assert_eq!(ids(&index, need).first(), Some(&1));
    }

    #[test]
    fn function_words_find_nothing_and_suggestions_name_words_the_index_holds() {
        let index = index_of(&[
            ("锂离子电池正极材料", "高镍三元正极材料"),
            ("光伏组件清洗机器人", "光伏电站运维"),
        ]);
        assert!(index.query_terms("的 了 在").is_err());
        let suggested = index.suggestions("锂电正极", 5);
        assert!(
            suggested.iter().any(|s| s.contains("正极")),
            "{suggested:?}"
        );
        // Every suggestion finds something.
        for word in &suggested {
            assert!(!ids(&index, word).is_empty(), "{word}");
        }
        assert!(!index.suggestions("的", 5).is_empty());
    }

    #[test]
    fn a_function_word_never_makes_a_hit_by_itself() {
        let index = index_of(&[
            ("锂电池的隔膜", "涂覆隔膜的工艺"),
            ("中药的炮制", "传统的工艺"),
            ("光伏组件", "清洗机器人"),
        ]);
        assert!(ids(&index, "量子纠缠的").is_empty());
        assert_eq!(ids(&index, "隔膜的"), vec![1]);
    }

    #[test]
    fn near_identical_records_are_folded_under_the_first() {
        let index = index_of(&[
            ("一种锂电池隔膜的制备方法", "涂覆隔膜"),
            ("锂电池隔膜的制备方法", "涂覆隔膜工艺"),
            ("锂电池回收工艺", "湿法回收"),
        ]);
        let found = index.run(&SearchRequest::new("锂电池隔膜")).unwrap();
        let first = &found.hits[0];
        assert_eq!(first.similar.len(), 1, "{:?}", found.hits);
        assert!(found.hits.iter().all(|h| h.id != first.similar[0].id));
        // Unlike titles stay apart.
        let hits = group_near_duplicates(found.hits.clone());
        assert_eq!(hits.len(), found.hits.len());
    }
}
