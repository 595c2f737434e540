//! The matching evaluation sets (`bench/eval/`), the plain BM25 baseline and the measures, for
//! `bench/matching-eval` and `bench/search-quality`.
//!
//! Two sets, kept apart: the **tuning set** (`matching-set.txt` with `matching-set-lay.txt`,
//! issue 5/6), on which the matcher's weights may be chosen, and the **held-out set**
//! (`heldout-part1.txt`, `heldout-part2.txt`, issue 15: longer demands written by other hands,
//! achievements with real-looking summaries, near-miss distractors with summaries), on which
//! the figures are reported and nothing is chosen.

use std::collections::HashMap;

use tantivy_jieba::jieba_rs::Jieba;
use zijin_domain::TechnicalField;
use zijin_search::{Document, Profile};

/// Patents are numbered from here, clear of the sets' own achievement numbers.
pub const PATENT_IDS: u64 = 100_000;

pub struct Demand {
    pub id: String,
    pub field: String,
    pub wanted_trl: Option<u8>,
    /// Title and description, as the demand's owner wrote them.
    pub text: String,
    /// The same need in lay words.
    pub lay: String,
    /// Achievement id → grade (1 or 2).
    pub relevant: HashMap<u64, u8>,
}

pub struct EvalSet {
    pub name: &'static str,
    pub achievements: Vec<Document>,
    pub demands: Vec<Demand>,
}

const TUNING: &str = include_str!("../../../bench/eval/matching-set.txt");
const TUNING_LAY: &str = include_str!("../../../bench/eval/matching-set-lay.txt");
const HELD_OUT: [(&str, &str); 2] = [
    (
        "heldout-part1.txt",
        include_str!("../../../bench/eval/heldout-part1.txt"),
    ),
    (
        "heldout-part2.txt",
        include_str!("../../../bench/eval/heldout-part2.txt"),
    ),
];

/// The set issue 5 and 6 tuned on.
pub fn tuning_set(fields: &[TechnicalField]) -> EvalSet {
    let mut lay = HashMap::new();
    for (number, line) in TUNING_LAY.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("matching-set-lay.txt line {}: no text", number + 1));
        let (title, description) = rest.split_once(" | ").unwrap_or_else(|| {
            panic!(
                "matching-set-lay.txt line {}: `D<id> <title> | <description>`",
                number + 1
            )
        });
        lay.insert(id.to_string(), format!("{title} {description}"));
    }
    let mut set = read("matching-set.txt", TUNING, fields, Some(&mut lay));
    set.name = "tuning set (matching-set.txt)";
    set
}

/// The held-out set of issue 15: report on it, never tune on it.
pub fn held_out_set(fields: &[TechnicalField]) -> EvalSet {
    let mut set = EvalSet {
        name: "held-out set (heldout-part*.txt)",
        achievements: Vec::new(),
        demands: Vec::new(),
    };
    for (file, text) in HELD_OUT {
        let part = read(file, text, fields, None);
        set.achievements.extend(part.achievements);
        set.demands.extend(part.demands);
    }
    check(&set);
    set
}

/// One file: `== FIELD`, `A<id> <TRL> <title> | <summary>`, and demands either
/// `D<id> <TRL|-> <title> | <description> | <judgements>` with the lay versions in `lay`, or
/// `D<id> <TRL|-> <title> | <description> | <lay title> | <lay description> | <judgements>`.
/// Panics naming the line of any mistake, so that a set cannot silently shrink.
fn read(
    file: &str,
    text: &str,
    fields: &[TechnicalField],
    mut lay: Option<&mut HashMap<String, String>>,
) -> EvalSet {
    let mut field = String::new();
    let mut set = EvalSet {
        name: "",
        achievements: Vec::new(),
        demands: Vec::new(),
    };
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        let fail = |why: &str| -> ! { panic!("{file} line {}: {why}: {line}", number + 1) };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(label) = line.strip_prefix("== ") {
            field = TechnicalField::find(fields, label.trim())
                .unwrap_or_else(|| fail("unknown field"))
                .code
                .clone();
            continue;
        }
        let (head, rest) = line.split_once(' ').unwrap_or_else(|| fail("no text"));
        let (trl, rest) = rest.split_once(' ').unwrap_or_else(|| fail("no TRL"));
        let parts: Vec<&str> = rest.split(" | ").map(str::trim).collect();
        let trl = trl.parse::<u8>().ok();
        if let Some(id) = head.strip_prefix('A') {
            let [title, summary] = parts[..] else {
                fail("an achievement is `A<id> <TRL> <title> | <summary>`")
            };
            set.achievements.push(Document {
                kind: "achievement".into(),
                id: id.parse().unwrap_or_else(|_| fail("bad id")),
                title: title.into(),
                body: summary.into(),
                status: "published".into(),
                profile: Profile {
                    field: field.clone(),
                    trl: Some(trl.unwrap_or_else(|| fail("bad TRL"))),
                    ..Profile::default()
                },
                ..Document::default()
            });
        } else if head.starts_with('D') {
            let (title, description, lay_text, judged) = match (&parts[..], lay.as_deref_mut()) {
                ([title, description, judged], Some(lay)) => (
                    *title,
                    *description,
                    lay.remove(head)
                        .unwrap_or_else(|| fail("no lay version of this demand")),
                    *judged,
                ),
                ([title, description, lay_title, lay_description, judged], None) => (
                    *title,
                    *description,
                    format!("{lay_title} {lay_description}"),
                    *judged,
                ),
                _ => fail("a demand has the wrong number of ` | `-separated parts"),
            };
            let relevant = judged
                .split_whitespace()
                .map(|pair| {
                    let (id, grade) = pair
                        .strip_prefix('A')
                        .and_then(|p| p.split_once(':'))
                        .unwrap_or_else(|| fail("judgement is A<id>:<grade>"));
                    (
                        id.parse().unwrap_or_else(|_| fail("bad judged id")),
                        grade.parse().unwrap_or_else(|_| fail("bad grade")),
                    )
                })
                .collect();
            set.demands.push(Demand {
                id: head.into(),
                field: field.clone(),
                wanted_trl: trl,
                text: format!("{title} {description}"),
                lay: lay_text,
                relevant,
            });
        } else {
            fail("a line starts with ==, A or D");
        }
    }
    check(&set);
    set
}

fn check(set: &EvalSet) {
    for demand in &set.demands {
        assert!(!demand.relevant.is_empty(), "{} judges nothing", demand.id);
        for id in demand.relevant.keys() {
            assert!(
                set.achievements.iter().any(|a| a.id == *id),
                "{} judges A{id}, which the set does not have",
                demand.id
            );
        }
    }
}

/// The technical field of a patent, from its first IPC subclass (the international patent
/// classification's public scheme, mapped by hand onto the platform's fields).
pub fn field_of_patent(first: &str) -> &'static str {
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| first.starts_with(p));
    if starts(&[
        "A61K", "A61P", "A61B", "A61F", "A61L", "A61M", "A61N", "C07K", "C12N", "C12Q",
    ]) {
        "biomedicine"
    } else if starts(&["A01", "A23", "C05"]) {
        "modern-agriculture"
    } else if starts(&["G06N", "G06T", "G06V", "G06K"]) {
        "intelligent-computing"
    } else if starts(&["G06F", "G06Q", "G16", "G09B"]) {
        "software"
    } else if starts(&["H04", "G01S", "H01Q"]) {
        "information-communication"
    } else if starts(&["H01L", "H10"]) {
        "integrated-circuits"
    } else if starts(&["H01M", "H02S", "F24S", "F03D", "C25B"]) {
        "new-energy"
    } else if starts(&["H02", "H01B", "H01H", "G01R"]) {
        "new-power"
    } else if starts(&["B01D", "C02F", "B09", "F23", "B08", "F24F"]) {
        "energy-saving"
    } else if starts(&["C08", "C04", "C22", "C01", "C09", "B32", "C03", "C23"]) {
        "new-materials"
    } else if starts(&[
        "B21", "B22", "B23", "B24", "B25", "B26", "B29", "B33", "B60", "B61", "B62", "B64", "B65",
        "B66", "F16", "G05B", "G01B", "G01M",
    ]) {
        "high-end-equipment"
    } else {
        "other"
    }
}

/// A number 0..n from a patent's position (fixed, so every run and method sees the same).
fn spread(position: usize, n: u64) -> u64 {
    (position as u64).wrapping_mul(2_654_435_761) % 4_294_967_291 % n
}

/// The set's achievements and the 9,740 real patents (bare titles, as distractors).
pub fn with_patents(achievements: &[Document]) -> Vec<Document> {
    let mut all = achievements.to_vec();
    for (position, patent) in crate::patents().into_iter().enumerate() {
        all.push(Document {
            kind: "achievement".into(),
            id: PATENT_IDS + position as u64,
            title: patent.title,
            status: "published".into(),
            profile: Profile {
                field: field_of_patent(&patent.main_class).into(),
                trl: Some(3 + spread(position, 6) as u8),
                ..Profile::default()
            },
            ..Document::default()
        });
    }
    all
}

/// The named baseline: Okapi BM25 (k1 = 1.5, b = 0.75, rank_bm25's BM25Okapi: idf
/// ln((N − n + 0.5) / (n + 0.5)) with negative values raised to a quarter of the mean idf,
/// every query token counted as often as it occurs) over jieba's search cut with its own
/// dictionary — no domain terms, no stop words, no synonyms, one field (title and text).
/// As it comes, the cut keeps punctuation marks as tokens ("，", "。"): in the evaluation sets
/// only the hand-written records have sentences, so a query's commas find exactly them — a
/// signal of how the sets were built, not of relevance. `without_punctuation` drops them.
pub struct Bm25 {
    punctuation: bool,
    jieba: Jieba,
    ids: Vec<u64>,
    lengths: Vec<f64>,
    average: f64,
    /// term → (document position, frequency).
    postings: HashMap<String, Vec<(usize, u32)>>,
    idf: HashMap<String, f64>,
}

impl Bm25 {
    const K1: f64 = 1.5;
    const B: f64 = 0.75;
    const EPSILON: f64 = 0.25;

    pub fn new(documents: &[Document]) -> Bm25 {
        Bm25::build(documents, true)
    }

    /// The same without punctuation tokens.
    pub fn without_punctuation(documents: &[Document]) -> Bm25 {
        Bm25::build(documents, false)
    }

    fn build(documents: &[Document], punctuation: bool) -> Bm25 {
        let jieba = Jieba::new();
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(documents.len());
        for (position, document) in documents.iter().enumerate() {
            let tokens = Self::tokens(
                &jieba,
                &format!("{} {}", document.title, document.body),
                punctuation,
            );
            lengths.push(tokens.len() as f64);
            let mut counts: HashMap<String, u32> = HashMap::new();
            for token in tokens {
                *counts.entry(token).or_default() += 1;
            }
            for (token, count) in counts {
                postings.entry(token).or_default().push((position, count));
            }
        }
        let n = documents.len() as f64;
        let mut idf: HashMap<String, f64> = postings
            .iter()
            .map(|(term, list)| {
                let df = list.len() as f64;
                (term.clone(), ((n - df + 0.5) / (df + 0.5)).ln())
            })
            .collect();
        let mean = idf.values().sum::<f64>() / idf.len().max(1) as f64;
        for value in idf.values_mut() {
            if *value < 0.0 {
                *value = Self::EPSILON * mean;
            }
        }
        Bm25 {
            punctuation,
            jieba,
            ids: documents.iter().map(|d| d.id).collect(),
            average: lengths.iter().sum::<f64>() / n.max(1.0),
            lengths,
            postings,
            idf,
        }
    }

    fn tokens(jieba: &Jieba, text: &str, punctuation: bool) -> Vec<String> {
        jieba
            .cut_for_search(text, true)
            .into_iter()
            .map(|t| t.word.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .filter(|t| punctuation || t.chars().any(char::is_alphanumeric))
            .collect()
    }

    /// The ids of the best `n` documents for `text`.
    pub fn search(&self, text: &str, n: usize) -> Vec<u64> {
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for token in Self::tokens(&self.jieba, text, self.punctuation) {
            let (Some(list), Some(idf)) = (self.postings.get(&token), self.idf.get(&token)) else {
                continue;
            };
            for (position, frequency) in list {
                let tf = f64::from(*frequency);
                let norm =
                    Self::K1 * (1.0 - Self::B + Self::B * self.lengths[*position] / self.average);
                *scores.entry(*position).or_default() += idf * tf * (Self::K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(n)
            .map(|(position, _)| self.ids[position])
            .collect()
    }
}

/// Reciprocal-rank fusion of ranked lists, each with a weight: Σ weight / (k + rank).
pub fn fuse(lists: &[(f64, Vec<u64>)], k: f64) -> Vec<u64> {
    let mut scores: HashMap<u64, f64> = HashMap::new();
    for (weight, list) in lists {
        for (rank, id) in list.iter().enumerate() {
            *scores.entry(*id).or_default() += weight / (k + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(u64, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.into_iter().map(|(id, _)| id).collect()
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Scores {
    pub ndcg: f64,
    pub recall: f64,
    pub first: f64,
}

/// nDCG@10 (gain = grade), recall@10 and whether a grade-2 answer is first.
pub fn score(ranked: &[u64], relevant: &HashMap<u64, u8>) -> Scores {
    let gain = |id: &u64| f64::from(*relevant.get(id).unwrap_or(&0));
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, id)| gain(id) / ((rank + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<f64> = relevant.values().map(|g| f64::from(*g)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, g)| g / ((rank + 2) as f64).log2())
        .sum();
    let found = ranked
        .iter()
        .take(10)
        .filter(|id| relevant.contains_key(id))
        .count();
    Scores {
        ndcg: dcg / idcg,
        recall: found as f64 / relevant.len() as f64,
        first: f64::from(u8::from(
            ranked
                .first()
                .is_some_and(|id| relevant.get(id) == Some(&2)),
        )),
    }
}

/// The mean scores of a method over the demands (`rank` gives a demand's ranked ids).
pub fn mean_scores(demands: &[Demand], mut rank: impl FnMut(&Demand) -> Vec<u64>) -> Scores {
    let mut total = Scores::default();
    for demand in demands {
        let s = score(&rank(demand), &demand.relevant);
        total.ndcg += s.ndcg;
        total.recall += s.recall;
        total.first += s.first;
    }
    let n = demands.len().max(1) as f64;
    Scores {
        ndcg: total.ndcg / n,
        recall: total.recall / n,
        first: total.first / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bm25_ranks_the_document_with_the_rarer_shared_word_first() {
        let documents: Vec<Document> = [
            (1, "锂电池 正极 材料"),
            (2, "电池 外壳"),
            (3, "中药 饮片"),
            (4, "电池 回收"),
        ]
        .into_iter()
        .map(|(id, title)| Document {
            id,
            title: title.into(),
            ..Document::default()
        })
        .collect();
        let bm25 = Bm25::new(&documents);
        let found = bm25.search("正极材料用的电池", 10);
        assert_eq!(found.first(), Some(&1), "{found:?}");
        assert!(!found.contains(&3), "{found:?}");
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
        let relevant: HashMap<u64, u8> = [(1, 2), (2, 1)].into_iter().collect();
        assert!((score(&[1, 2, 3], &relevant).ndcg - 1.0).abs() < 1e-12);
        let worse = score(&[3, 2, 1], &relevant);
        assert!(worse.ndcg < 1.0 && worse.ndcg > 0.0);
        assert_eq!(worse.recall, 1.0);
        assert_eq!(worse.first, 0.0);
    }

    #[test]
    fn rank_fusion_rewards_agreement() {
        let fused = fuse(&[(1.0, vec![1, 2, 3]), (1.0, vec![2, 1, 4])], 60.0);
        assert_eq!(&fused[..2], &[1, 2]);
        assert_eq!(fused.len(), 4);
    }
}
