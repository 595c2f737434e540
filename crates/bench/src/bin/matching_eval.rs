//! Issue 5, quality (b): the hand-written evaluation set `bench/eval/matching-set.txt` (100
//! demands in enterprises' words, their graded relevant achievements in universities' words),
//! hidden among the 9,740 real patents as distractors. nDCG@10 (gain = grade), recall@10 and
//! the share of demands whose best answer (grade 2) is ranked first, for plain BM25 over jieba's
//! own tokens (the baseline), Zijin's text search alone, and the full matcher (text with the
//! structured factors), in the same run. Run with `bench/matching-eval`.
//!
//! Issue 6: the same demands rephrased in lay language (`bench/eval/matching-set-lay.txt`,
//! without the technical words of their answers), and dense retrieval with the sentence
//! embeddings of `zijin_embed` (exact cosine over every document) alone and fused with the text
//! search by reciprocal rank, on both versions. Needs the model (`ZIJIN_E5_MODEL`, set by the
//! script); document vectors are kept in `/var/tmp/zijin-bench/eval-vectors.bin` between runs.

use std::collections::HashMap;
use std::time::Instant;

use zijin_bench::patents;
use zijin_embed::{Embedder, Role, cosine};
use zijin_search::{
    Analyzer, Document, FieldLabels, MatchConfig, Profile, Scope, SearchIndex, SearchRequest,
    Seeker, Vectors, matching::structured_factors, recommend,
};

const SET: &str = include_str!("../../../../bench/eval/matching-set.txt");
const LAY: &str = include_str!("../../../../bench/eval/matching-set-lay.txt");
/// Reciprocal-rank fusion's constant (Cormack et al. 2009) and how deep each list is read.
const FUSION_K: f64 = 60.0;
const FUSION_DEPTH: usize = 100;
/// Patents are numbered from here, clear of the set's own achievement numbers.
const PATENT_IDS: u64 = 100_000;

struct Demand {
    id: String,
    field: String,
    wanted_trl: Option<u8>,
    text: String,
    /// Achievement id → grade (1 or 2).
    relevant: HashMap<u64, u8>,
}

/// The set's achievements (as index documents) and demands; panics naming the line of any
/// mistake in the file, so the set cannot silently shrink.
fn read_set(fields: &[zijin_domain::TechnicalField]) -> (Vec<Document>, Vec<Demand>) {
    let mut field = String::new();
    let (mut achievements, mut demands) = (Vec::new(), Vec::new());
    for (number, line) in SET.lines().enumerate() {
        let line = line.trim();
        let fail =
            |why: &str| -> ! { panic!("matching-set.txt line {}: {why}: {line}", number + 1) };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(label) = line.strip_prefix("== ") {
            field = zijin_domain::TechnicalField::find(fields, label)
                .unwrap_or_else(|| fail("unknown field"))
                .code
                .clone();
            continue;
        }
        let (head, rest) = line.split_once(' ').unwrap_or_else(|| fail("no text"));
        let (trl, rest) = rest.split_once(' ').unwrap_or_else(|| fail("no TRL"));
        let parts: Vec<&str> = rest.split(" | ").collect();
        let trl = trl.parse::<u8>().ok();
        if let Some(id) = head.strip_prefix('A') {
            let [title, summary] = parts[..] else {
                fail("an achievement is `A<id> <TRL> <title> | <summary>`")
            };
            achievements.push(Document {
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
            let [title, description, judged] = parts[..] else {
                fail("a demand is `D<id> <TRL|-> <title> | <description> | <judgements>`")
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
            demands.push(Demand {
                id: head.into(),
                field: field.clone(),
                wanted_trl: trl,
                text: format!("{title} {description}"),
                relevant,
            });
        } else {
            fail("a line starts with ==, A or D");
        }
    }
    for demand in &demands {
        for id in demand.relevant.keys() {
            assert!(
                achievements.iter().any(|a| a.id == *id),
                "{} judges A{id}, which the set does not have",
                demand.id
            );
        }
    }
    (achievements, demands)
}

/// The technical field of a patent, from its first IPC subclass (the international patent
/// classification's public scheme, mapped by hand onto the platform's fields).
fn field_of_patent(first: &str) -> &'static str {
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

fn documents(achievements: &[Document]) -> Vec<Document> {
    let mut all = achievements.to_vec();
    for (position, patent) in patents().into_iter().enumerate() {
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

/// The demands again, each text replaced by its lay-language version.
fn lay_demands(demands: &[Demand]) -> Vec<Demand> {
    let mut texts = HashMap::new();
    for (number, line) in LAY.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fail =
            |why: &str| -> ! { panic!("matching-set-lay.txt line {}: {why}: {line}", number + 1) };
        let (id, rest) = line.split_once(' ').unwrap_or_else(|| fail("no text"));
        let (title, description) = rest
            .split_once(" | ")
            .unwrap_or_else(|| fail("a line is `D<id> <title> | <description>`"));
        texts.insert(id.to_string(), format!("{title} {description}"));
    }
    demands
        .iter()
        .map(|d| Demand {
            id: d.id.clone(),
            field: d.field.clone(),
            wanted_trl: d.wanted_trl,
            text: texts
                .remove(&d.id)
                .unwrap_or_else(|| panic!("matching-set-lay.txt has no {}", d.id)),
            relevant: d.relevant.clone(),
        })
        .collect()
}

/// Every document's passage vector, from the cache when it holds these texts.
fn document_vectors(embedder: &Embedder, all: &[Document]) -> Vec<Vec<f32>> {
    let texts: Vec<String> = all
        .iter()
        .map(|d| format!("{} {}", d.title, d.body).trim().to_string())
        .collect();
    // The key covers the texts and the engine: a probe text's vector changes with any change
    // to the inference, and vectors of two engines must never be mixed.
    let probe: Vec<u8> = embedder
        .embed("缓存校验 cache probe", Role::Passage)
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let key = texts
        .iter()
        .map(|t| t.as_bytes())
        .chain([probe.as_slice()])
        .fold(0xcbf2_9ce4_8422_2325u64, |h, t| {
            t.iter()
                .chain(&[0])
                .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
        });
    let dimension = embedder.dimension();
    let path = std::path::Path::new("/var/tmp/zijin-bench/eval-vectors.bin");
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() == 8 + texts.len() * dimension * 4
        && bytes[..8] == key.to_le_bytes()
    {
        return bytes[8..]
            .chunks_exact(dimension * 4)
            .map(|v| {
                v.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })
            .collect();
    }
    let start = Instant::now();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut vectors = Vec::with_capacity(refs.len());
    for (n, chunk) in refs.chunks(500).enumerate() {
        vectors.extend(embedder.embed_all(chunk, Role::Passage, 2));
        eprint!(
            "\r    embedded {} / {}",
            (n * 500 + chunk.len()),
            refs.len()
        );
    }
    eprintln!(" in {:.0} s", start.elapsed().as_secs_f64());
    let mut bytes = key.to_le_bytes().to_vec();
    for v in &vectors {
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    let _ = std::fs::create_dir_all("/var/tmp/zijin-bench");
    let _ = std::fs::write(path, bytes);
    vectors
}

/// Ids of the `n` documents nearest the query vector (exact cosine).
fn dense(vectors: &[Vec<f32>], ids: &[u64], query: &[f32], n: usize) -> Vec<u64> {
    let mut scored: Vec<(f32, u64)> = vectors
        .iter()
        .zip(ids)
        .map(|(v, id)| (cosine(v, query), *id))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, id)| id).collect()
}

/// Reciprocal-rank fusion of ranked lists, each with a weight: Σ weight / (k + rank).
fn fuse(lists: &[(f64, Vec<u64>)]) -> Vec<u64> {
    let mut scores: HashMap<u64, f64> = HashMap::new();
    for (weight, list) in lists {
        for (rank, id) in list.iter().enumerate() {
            *scores.entry(*id).or_default() += weight / (FUSION_K + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(u64, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.into_iter().map(|(id, _)| id).collect()
}

#[derive(Default)]
struct Scores {
    ndcg: f64,
    recall: f64,
    first: f64,
}

fn score(ranked: &[u64], demand: &Demand) -> Scores {
    let gain = |id: &u64| f64::from(*demand.relevant.get(id).unwrap_or(&0));
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, id)| gain(id) / ((rank + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<f64> = demand.relevant.values().map(|g| f64::from(*g)).collect();
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
        .filter(|id| demand.relevant.contains_key(id))
        .count();
    Scores {
        ndcg: dcg / idcg,
        recall: found as f64 / demand.relevant.len() as f64,
        first: f64::from(u8::from(
            ranked
                .first()
                .is_some_and(|id| demand.relevant.get(id) == Some(&2)),
        )),
    }
}

fn report(label: &str, demands: &[Demand], mut rank: impl FnMut(&Demand) -> Vec<u64>) -> Scores {
    let mut total = Scores::default();
    for demand in demands {
        let scores = score(&rank(demand), demand);
        total.ndcg += scores.ndcg;
        total.recall += scores.recall;
        total.first += scores.first;
    }
    let n = demands.len() as f64;
    let mean = Scores {
        ndcg: total.ndcg / n,
        recall: total.recall / n,
        first: total.first / n,
    };
    println!(
        "  {label:<46} nDCG@10 {:.4}  recall@10 {:.4}  best answer first {:.2}",
        mean.ndcg, mean.recall, mean.first
    );
    mean
}

fn main() {
    let fields = zijin_domain::TechnicalField::defaults();
    let labels: FieldLabels = fields
        .iter()
        .map(|f| (f.code.clone(), f.label.clone()))
        .collect();
    let (achievements, demands) = read_set(&fields);
    let all = documents(&achievements);
    let judged: usize = demands.iter().map(|d| d.relevant.len()).sum();
    println!(
        "matching evaluation: {} demands, {judged} judgements; {} hand-written achievements among {} documents (the rest real patents)",
        demands.len(),
        achievements.len(),
        all.len()
    );
    let index_with = |analyzer| {
        let index = SearchIndex::in_memory_with(analyzer).expect("index");
        index.upsert(&all).expect("add");
        index.commit(None).expect("commit");
        index
    };
    let ids = |index: &SearchIndex, text: &str, n: usize| -> Vec<u64> {
        index
            .search_ids(text, n)
            .expect("search")
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    let plain = index_with(Analyzer::plain());
    let zijin = index_with(Analyzer::shared());
    let config = MatchConfig::shipped();
    // The platform's matcher for a demand, with the demand's vector when given.
    let matcher = |config: &MatchConfig, d: &Demand, vector: Option<Vec<f32>>| -> Vec<u64> {
        let seeker = Seeker {
            text: d.text.clone(),
            profile: Profile {
                field: d.field.clone(),
                trl: d.wanted_trl,
                ..Profile::default()
            },
            own: None,
            vector,
        };
        recommend(
            &zijin,
            config,
            &labels,
            &seeker,
            "achievement",
            Scope::Listed,
            10,
        )
        .expect("recommend")
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    let model = std::env::var("ZIJIN_E5_MODEL").ok();
    let embedder = model
        .map(|path| Embedder::load(std::path::Path::new(&path)).expect("the semantic model loads"));
    let vectors = embedder.as_ref().map(|e| document_vectors(e, &all));
    let document_ids: Vec<u64> = all.iter().map(|d| d.id).collect();
    let position: HashMap<u64, usize> = document_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let lay = lay_demands(&demands);
    for (version, demands) in [
        ("plain (the demands as written)", &demands),
        ("lay (rephrased without the answers' technical words)", &lay),
    ] {
        println!(" {version}:");
        let baseline = report("baseline: BM25 over jieba's own tokens", demands, |d| {
            ids(&plain, &d.text, 10)
        });
        report("zijin text: domain dictionary + synonyms", demands, |d| {
            ids(&zijin, &d.text, 10)
        });
        let matched = report("zijin matcher: text + field + maturity", demands, |d| {
            matcher(&config, d, None)
        });
        println!(
            "  matcher − baseline: nDCG@10 {:+.4}, recall@10 {:+.4}",
            matched.ndcg - baseline.ndcg,
            matched.recall - baseline.recall
        );
        let (Some(embedder), Some(vectors)) = (&embedder, &vectors) else {
            println!("  (dense and hybrid: ZIJIN_E5_MODEL not set)");
            continue;
        };
        let queries: HashMap<&str, Vec<f32>> = demands
            .iter()
            .map(|d| (d.id.as_str(), embedder.embed(&d.text, Role::Query)))
            .collect();
        let nearest = |d: &Demand, n| dense(vectors, &document_ids, &queries[d.id.as_str()], n);
        report("dense only: e5-small, exact cosine", demands, |d| {
            nearest(d, 10)
        });
        // The matcher's structured factors over the dense pool instead of the text pool: the
        // dense relevance (cosine over the best candidate's) takes the text factor's place.
        let profiles: HashMap<u64, &Profile> = all.iter().map(|d| (d.id, &d.profile)).collect();
        report(
            "dense pool + field + maturity (matcher's weights)",
            demands,
            |d| {
                let demand = Profile {
                    field: d.field.clone(),
                    trl: d.wanted_trl,
                    ..Profile::default()
                };
                let query = &queries[d.id.as_str()];
                let pool = dense(vectors, &document_ids, query, config.candidates.pool);
                let cosines: Vec<f32> = pool
                    .iter()
                    .map(|id| cosine(&vectors[position[id]], query))
                    .collect();
                let best = cosines.iter().copied().fold(f32::MIN, f32::max).max(1e-6);
                let mut scored: Vec<(f64, u64)> = pool
                    .iter()
                    .zip(&cosines)
                    .map(|(id, c)| {
                        let structured: f64 =
                            structured_factors(&config.weights, &demand, profiles[id], &labels)
                                .iter()
                                .map(|f| f.points)
                                .sum();
                        (config.weights.text * f64::from(c / best) + structured, *id)
                    })
                    .collect();
                scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                scored.into_iter().take(10).map(|(_, id)| id).collect()
            },
        );
        // The platform's own hybrid, as `zijin match` runs it: the matcher's text pool and the
        // nearest vectors (8-bit, in the index), the text weight split by `semantic.share`.
        // Every share tried is shown; the shipped one is marked.
        if zijin.vectors().is_none() {
            let mut stored =
                Vectors::new(embedder.dimension(), 0, config.semantic.vector_settings());
            for (document, vector) in all.iter().zip(vectors.iter()) {
                stored.insert("achievement", document.id, 0, vector);
            }
            *zijin.vectors_mut() = Some(stored);
        }
        for share in [0.0, 0.3, 0.5, 0.7, 0.85, 1.0] {
            let mut hybrid = config.clone();
            hybrid.semantic.share = share;
            let shipped = if share == config.semantic.share {
                " (shipped)"
            } else {
                ""
            };
            report(
                &format!("zijin hybrid matcher, share {share}{shipped}"),
                demands,
                |d| matcher(&hybrid, d, Some(queries[d.id.as_str()].clone())),
            );
        }
        // The search box's hybrid (`zijin search`): text results and nearest records fused by
        // reciprocal rank, without and with the shipped similarity floor and margin.
        for (label, floor, margin) in [
            ("zijin search box: RRF, no floor", 0.0, f32::INFINITY),
            (
                "zijin search box: RRF, shipped floor",
                config.semantic.floor,
                config.semantic.margin,
            ),
        ] {
            report(label, demands, |d| {
                let mut request = SearchRequest::new(d.text.clone());
                request.scope = Scope::Listed;
                request.vector = Some(queries[d.id.as_str()].clone());
                request.similarity_floor = floor;
                request.similarity_margin = margin;
                zijin
                    .run(&request)
                    .expect("search")
                    .hits
                    .into_iter()
                    .map(|h| h.id)
                    .collect()
            });
        }
        // Equal weights first (plain RRF), then the text list weighing less: the weights are
        // not learned — every row is shown, none picked on this set.
        for (label, index) in [("BM25 baseline", &plain), ("zijin text", &zijin)] {
            for text_weight in [1.0, 0.5, 0.25] {
                report(
                    &format!("hybrid RRF: dense + {label} × {text_weight}"),
                    demands,
                    |d| {
                        fuse(&[
                            (text_weight, ids(index, &d.text, FUSION_DEPTH)),
                            (1.0, nearest(d, FUSION_DEPTH)),
                        ])
                    },
                );
            }
        }
    }
}
