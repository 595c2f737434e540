//! Matching quality (issues 5, 6 and 15): nDCG@10, recall@10 and best-answer-first of free-text
//! matching (`zijin match --text`: the text alone, no field) and of demand matching (`zijin
//! match --demand-id`: the demand's text with its field and wanted maturity), with and without
//! the semantic model, beside the named baselines in the same run — plain BM25 over jieba's
//! search cut, dense retrieval with e5-small alone, and the two fused by reciprocal rank — on
//! each demand as written and in lay words.
//!
//! Two sets (`zijin_bench::eval`): the tuning set, the only one `--sweep` may be run on (it
//! prints the weights tried), and the held-out set, whose figures are the ones reported.
//! The sets' achievements are hidden among the 9,740 real patents. Run with
//! `bench/matching-eval [--sweep]`. Vectors are cached in `/var/tmp/zijin-bench/`.

use std::collections::HashMap;
use std::time::Instant;

use zijin_bench::eval::{self, Bm25, Demand, EvalSet, Scores, fuse, mean_scores};
use zijin_embed::{Embedder, Role, cosine};
use zijin_search::{
    Document, FieldLabels, Fusion, MatchConfig, Profile, Recommendation, Scope, SearchIndex,
    Seeker, TextWeights, Vectors, recommend,
};

/// Reciprocal-rank fusion's constant (Cormack et al. 2009) and how deep each list is read.
const FUSION_K: f64 = 60.0;
const FUSION_DEPTH: usize = 100;

/// Sentence vectors by text, kept between runs; the key of each entry covers the engine (a
/// probe text's vector) and the role, so vectors of two engines are never mixed.
struct VectorCache {
    embedder: Embedder,
    probe: u64,
    known: HashMap<u64, Vec<f32>>,
    dirty: bool,
}

const CACHE: &str = "/var/tmp/zijin-bench/eval-vectors-v2.bin";

fn hash(bytes: impl IntoIterator<Item = u8>, seed: u64) -> u64 {
    bytes
        .into_iter()
        .fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
}

impl VectorCache {
    fn open(embedder: Embedder) -> VectorCache {
        let probe = embedder
            .embed("缓存校验 cache probe", Role::Passage)
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<u8>>();
        let probe = hash(probe, 0);
        let dimension = embedder.dimension();
        let mut known = HashMap::new();
        if let Ok(bytes) = std::fs::read(CACHE) {
            for entry in bytes.chunks_exact(8 + dimension * 4) {
                let key = u64::from_le_bytes(entry[..8].try_into().expect("8 bytes"));
                let vector = entry[8..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                known.insert(key, vector);
            }
        }
        VectorCache {
            embedder,
            probe,
            known,
            dirty: false,
        }
    }

    fn key(&self, text: &str, role: Role) -> u64 {
        hash(
            text.bytes().chain([u8::from(role == Role::Query)]),
            self.probe,
        )
    }

    /// The vectors of `texts`, computing (on two threads) those not cached.
    fn vectors(&mut self, texts: &[String], role: Role) -> Vec<Vec<f32>> {
        let missing: Vec<&String> = texts
            .iter()
            .filter(|t| !self.known.contains_key(&self.key(t, role)))
            .collect();
        if !missing.is_empty() {
            let start = Instant::now();
            for (n, chunk) in missing.chunks(256).enumerate() {
                let refs: Vec<&str> = chunk.iter().map(|t| t.as_str()).collect();
                let computed = self.embedder.embed_all(&refs, role, 2);
                for (text, vector) in chunk.iter().zip(computed) {
                    self.known.insert(self.key(text, role), vector);
                }
                eprint!(
                    "\r    embedded {} / {}",
                    n * 256 + chunk.len(),
                    missing.len()
                );
            }
            eprintln!(" in {:.0} s", start.elapsed().as_secs_f64());
            self.dirty = true;
        }
        texts
            .iter()
            .map(|t| self.known[&self.key(t, role)].clone())
            .collect()
    }

    fn save(&self) {
        if !self.dirty {
            return;
        }
        let mut bytes = Vec::new();
        for (key, vector) in &self.known {
            bytes.extend_from_slice(&key.to_le_bytes());
            for x in vector {
                bytes.extend_from_slice(&x.to_le_bytes());
            }
        }
        let _ = std::fs::create_dir_all("/var/tmp/zijin-bench");
        let _ = std::fs::write(CACHE, bytes);
    }
}

/// Min-max normalised scores of two lists added, the second weighing `share`.
fn combine(text: &[(u64, f32)], near: &[(u64, f32)], share: f64) -> Vec<u64> {
    let normalised = |list: &[(u64, f32)]| -> HashMap<u64, f64> {
        let best = list.iter().map(|x| f64::from(x.1)).fold(f64::MIN, f64::max);
        let worst = list.iter().map(|x| f64::from(x.1)).fold(f64::MAX, f64::min);
        let span = (best - worst).max(1e-9);
        list.iter()
            .map(|(id, s)| (*id, (f64::from(*s) - worst) / span))
            .collect()
    };
    let text = normalised(text);
    let near = normalised(near);
    let mut all: Vec<(u64, f64)> = text
        .keys()
        .chain(near.keys())
        .map(|id| {
            (
                *id,
                (1.0 - share) * text.get(id).copied().unwrap_or(0.0)
                    + share * near.get(id).copied().unwrap_or(0.0),
            )
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.dedup_by_key(|x| x.0);
    all.into_iter().take(10).map(|x| x.0).collect()
}

/// The `n` documents nearest the query vector with their cosines (exact).
fn dense_scored(vectors: &[Vec<f32>], ids: &[u64], query: &[f32], n: usize) -> Vec<(u64, f32)> {
    let mut scored: Vec<(u64, f32)> = vectors
        .iter()
        .zip(ids)
        .map(|(v, id)| (*id, cosine(v, query)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(n);
    scored
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

fn line(label: &str, scores: [Scores; 2]) {
    println!(
        "  {label:<52} | nDCG@10 {:.4}  {:.4} | recall@10 {:.4}  {:.4} | first {:.2}  {:.2}",
        scores[0].ndcg,
        scores[1].ndcg,
        scores[0].recall,
        scores[1].recall,
        scores[0].first,
        scores[1].first
    );
}

/// What one set needs: its documents in a Zijin index (with vectors when there is a model),
/// the baseline's index, and each demand's query vectors (as written, lay).
struct Prepared<'s> {
    set: &'s EvalSet,
    index: SearchIndex,
    bm25: Bm25,
    bm25_words: Bm25,
    ids: Vec<u64>,
    passages: Option<Vec<Vec<f32>>>,
    queries: HashMap<(String, bool), Vec<f32>>,
}

fn prepare<'s>(set: &'s EvalSet, cache: Option<&mut VectorCache>) -> Prepared<'s> {
    let all: Vec<Document> = eval::with_patents(&set.achievements);
    let index = SearchIndex::in_memory().expect("index");
    index.upsert(&all).expect("add");
    index.commit(None).expect("commit");
    let bm25 = Bm25::new(&all);
    let bm25_words = Bm25::without_punctuation(&all);
    let ids: Vec<u64> = all.iter().map(|d| d.id).collect();
    let mut queries = HashMap::new();
    let passages = cache.map(|cache| {
        let texts: Vec<String> = all
            .iter()
            .map(|d| format!("{} {}", d.title, d.body).trim().to_string())
            .collect();
        let passages = cache.vectors(&texts, Role::Passage);
        let config = MatchConfig::shipped();
        let mut stored = Vectors::new(
            cache.embedder.dimension(),
            0,
            config.semantic.vector_settings(),
        );
        for (document, vector) in all.iter().zip(&passages) {
            stored.insert("achievement", document.id, 0, vector);
        }
        *index.vectors_mut() = Some(stored);
        for lay in [false, true] {
            let texts: Vec<String> = set
                .demands
                .iter()
                .map(|d| if lay { d.lay.clone() } else { d.text.clone() })
                .collect();
            for (demand, vector) in set.demands.iter().zip(cache.vectors(&texts, Role::Query)) {
                queries.insert((demand.id.clone(), lay), vector);
            }
        }
        passages
    });
    Prepared {
        set,
        index,
        bm25,
        bm25_words,
        ids,
        passages,
        queries,
    }
}

impl Prepared<'_> {
    fn text<'d>(&self, demand: &'d Demand, lay: bool) -> &'d str {
        if lay { &demand.lay } else { &demand.text }
    }

    /// The platform's matcher's best `top`: free text (no profile) or the demand with its
    /// field and maturity; with the demand's vector when `semantic`.
    #[allow(clippy::too_many_arguments)]
    fn recommend(
        &self,
        config: &MatchConfig,
        labels: &FieldLabels,
        demand: &Demand,
        lay: bool,
        with_profile: bool,
        semantic: bool,
        top: usize,
    ) -> Vec<Recommendation> {
        let profile = if with_profile {
            Profile {
                field: demand.field.clone(),
                trl: demand.wanted_trl,
                ..Profile::default()
            }
        } else {
            Profile::default()
        };
        let seeker = Seeker {
            text: self.text(demand, lay).to_string(),
            profile,
            own: None,
            vector: semantic
                .then(|| self.queries.get(&(demand.id.clone(), lay)).cloned())
                .flatten(),
        };
        recommend(
            &self.index,
            config,
            labels,
            &seeker,
            "achievement",
            Scope::Listed,
            top,
        )
        .expect("recommend")
    }

    /// The ids of the matcher's best ten (`recommend`).
    fn matcher(
        &self,
        config: &MatchConfig,
        labels: &FieldLabels,
        demand: &Demand,
        lay: bool,
        with_profile: bool,
        semantic: bool,
    ) -> Vec<u64> {
        self.recommend(config, labels, demand, lay, with_profile, semantic, 10)
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    /// How many of a demand's top 5 (as written, with its field and maturity, with the model)
    /// reach the score below which the platform does not store a recommendation, on average.
    fn kept(&self, config: &MatchConfig, labels: &FieldLabels) -> f64 {
        let kept: usize = self
            .set
            .demands
            .iter()
            .map(|demand| {
                self.recommend(config, labels, demand, false, true, true, 5)
                    .iter()
                    .filter(|r| r.score >= config.candidates.minimum_score)
                    .count()
            })
            .sum();
        kept as f64 / self.set.demands.len() as f64
    }

    /// The index's own text search (no matcher): ids and scores of the best `n`.
    fn text_hits(&self, demand: &Demand, lay: bool, n: usize) -> Vec<(u64, f32)> {
        self.index
            .search_ids(self.text(demand, lay), n)
            .expect("a demand's text has words")
    }

    /// Free text and a listed demand with the model under `config`, one line each.
    fn with_model(&self, label: &str, config: &MatchConfig, labels: &FieldLabels) {
        line(
            &format!("with the model, {label}"),
            self.both(|d, lay| self.matcher(config, labels, d, lay, false, true)),
        );
        line(
            &format!("  demand-id, {label}"),
            self.both(|d, lay| self.matcher(config, labels, d, lay, true, true)),
        );
    }

    fn both(&self, mut rank: impl FnMut(&Demand, bool) -> Vec<u64>) -> [Scores; 2] {
        [false, true].map(|lay| mean_scores(&self.set.demands, |d| rank(d, lay)))
    }

    fn dense_scored(&self, demand: &Demand, lay: bool, n: usize) -> Vec<(u64, f32)> {
        dense_scored(
            self.passages.as_ref().expect("vectors"),
            &self.ids,
            &self.queries[&(demand.id.clone(), lay)],
            n,
        )
    }

    fn dense(&self, demand: &Demand, lay: bool, n: usize) -> Vec<u64> {
        let passages = self.passages.as_ref().expect("vectors");
        dense(
            passages,
            &self.ids,
            &self.queries[&(demand.id.clone(), lay)],
            n,
        )
    }
}

fn evaluate(prepared: &Prepared, config: &MatchConfig, labels: &FieldLabels) {
    let set = prepared.set;
    let judged: usize = set.demands.iter().map(|d| d.relevant.len()).sum();
    println!(
        "\n{}: {} demands, {judged} judgements, {} hand-written achievements among {} documents",
        set.name,
        set.demands.len(),
        set.achievements.len(),
        prepared.ids.len()
    );
    println!(
        "  {:<52} | {:<22} | {:<24} | as written, lay",
        "method", "as written, lay", "as written, lay"
    );
    let semantic = prepared.passages.is_some();
    line(
        "baseline: BM25 over jieba's search cut",
        prepared.both(|d, lay| prepared.bm25.search(prepared.text(d, lay), 10)),
    );
    line(
        "  the same without punctuation tokens",
        prepared.both(|d, lay| prepared.bm25_words.search(prepared.text(d, lay), 10)),
    );
    if semantic {
        line(
            "baseline: dense only (e5-small, exact cosine)",
            prepared.both(|d, lay| prepared.dense(d, lay, 10)),
        );
        line(
            "baseline: BM25 + dense, reciprocal-rank fusion",
            prepared.both(|d, lay| {
                fuse(
                    &[
                        (
                            1.0,
                            prepared.bm25.search(prepared.text(d, lay), FUSION_DEPTH),
                        ),
                        (1.0, prepared.dense(d, lay, FUSION_DEPTH)),
                    ],
                    FUSION_K,
                )
            }),
        );
        line(
            "  the same without punctuation tokens",
            prepared.both(|d, lay| {
                fuse(
                    &[
                        (
                            1.0,
                            prepared
                                .bm25_words
                                .search(prepared.text(d, lay), FUSION_DEPTH),
                        ),
                        (1.0, prepared.dense(d, lay, FUSION_DEPTH)),
                    ],
                    FUSION_K,
                )
            }),
        );
    }
    println!("  free text (zijin match --text):");
    line(
        "  zijin, without the model",
        prepared.both(|d, lay| prepared.matcher(config, labels, d, lay, false, false)),
    );
    if semantic {
        line(
            "  zijin, with the model",
            prepared.both(|d, lay| prepared.matcher(config, labels, d, lay, false, true)),
        );
    }
    println!("  a listed demand (zijin match --demand-id: text, field, maturity):");
    line(
        "  zijin, without the model",
        prepared.both(|d, lay| prepared.matcher(config, labels, d, lay, true, false)),
    );
    if semantic {
        line(
            "  zijin, with the model",
            prepared.both(|d, lay| prepared.matcher(config, labels, d, lay, true, true)),
        );
    }
}

/// The weights tried on the tuning set (only there).
fn sweep(prepared: &Prepared, config: &MatchConfig, labels: &FieldLabels) {
    println!("\nsweep on the tuning set (free text, as written and lay):");
    let shipped = TextWeights::SHIPPED;
    let mut tries: Vec<(String, TextWeights)> = vec![("shipped".into(), shipped)];
    for pivot in [0.0, 150.0, 500.0, 1000.0, 5000.0] {
        tries.push((format!("pivot {pivot}"), TextWeights { pivot, ..shipped }));
        tries.push((
            format!("pivot {pivot}, repeat 0"),
            TextWeights {
                pivot,
                repeat: 0.0,
                ..shipped
            },
        ));
    }
    for title in [0.1, 0.3] {
        tries.push((format!("title {title}"), TextWeights { title, ..shipped }));
    }
    for function in [0.0, 0.5] {
        tries.push((
            format!("function words {function}"),
            TextWeights {
                function,
                ..shipped
            },
        ));
    }
    for repeat in [0.0, 0.5] {
        tries.push((
            format!("repeat {repeat}"),
            TextWeights { repeat, ..shipped },
        ));
    }
    for synonym in [0.0, 0.5] {
        tries.push((
            format!("synonym {synonym}"),
            TextWeights { synonym, ..shipped },
        ));
    }
    for single in [0.25, 0.5] {
        tries.push((
            format!("single {single}"),
            TextWeights { single, ..shipped },
        ));
    }
    line(
        "text only, the index's text query (search_ids)",
        prepared.both(|d, lay| {
            prepared
                .text_hits(d, lay, 10)
                .into_iter()
                .map(|(id, _)| id)
                .collect()
        }),
    );
    for (label, weights) in tries {
        prepared.index.set_text_weights(weights);
        line(
            &format!("text only, {label}"),
            prepared.both(|d, lay| prepared.matcher(config, labels, d, lay, false, false)),
        );
    }
    prepared.index.set_text_weights(shipped);
    if prepared.passages.is_none() {
        return;
    }
    line(
        "zijin's text list + dense, plain RRF (diagnostic)",
        prepared.both(|d, lay| {
            let text: Vec<u64> = prepared
                .text_hits(d, lay, FUSION_DEPTH)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            fuse(
                &[(1.0, text), (1.0, prepared.dense(d, lay, FUSION_DEPTH))],
                FUSION_K,
            )
        }),
    );
    let described = |list: Vec<(u64, f32)>| -> Vec<(u64, f32)> {
        list.into_iter()
            .filter(|(id, _)| *id < eval::PATENT_IDS)
            .collect()
    };
    line(
        "dense among described records only (diagnostic)",
        prepared.both(|d, lay| {
            described(prepared.dense_scored(d, lay, 3000))
                .into_iter()
                .take(10)
                .map(|x| x.0)
                .collect()
        }),
    );
    line(
        "text among described records only (diagnostic)",
        prepared.both(|d, lay| {
            described(prepared.text_hits(d, lay, 3000))
                .into_iter()
                .take(10)
                .map(|x| x.0)
                .collect()
        }),
    );
    for share in [0.2, 0.3, 0.5] {
        line(
            &format!("text score / best + dense min-max, share {share} (diagnostic)"),
            prepared.both(|d, lay| {
                let text = prepared.text_hits(d, lay, FUSION_DEPTH);
                let near = prepared.dense_scored(d, lay, FUSION_DEPTH);
                combine(&text, &near, share)
            }),
        );
    }
    for pivot in [250.0, 1000.0, 5000.0] {
        prepared
            .index
            .set_text_weights(TextWeights { pivot, ..shipped });
        for share in [0.3, 0.4, 0.5] {
            let mut tried = config.clone();
            tried.semantic.share = share;
            prepared.with_model(&format!("pivot {pivot}, share {share}"), &tried, labels);
        }
    }
    prepared.index.set_text_weights(shipped);
    let mut ranks = config.clone();
    ranks.semantic.fusion = Fusion::Ranks;
    ranks.semantic.share = 0.7;
    println!(
        "  of a demand's top 5 with the model, at or above the minimum score {}: {:.2} fused by score, {:.2} by rank (share 0.7)",
        config.candidates.minimum_score,
        prepared.kept(config, labels),
        prepared.kept(&ranks, labels)
    );
    for share in [0.1, 0.2, 0.3, 0.4, 0.5] {
        let mut tried = config.clone();
        tried.semantic.share = share;
        tried.semantic.fusion = Fusion::Scores;
        prepared.with_model(&format!("scores, share {share}"), &tried, labels);
    }
    for share in [0.3, 0.5, 0.7] {
        for k in [10.0, 60.0] {
            let mut tried = config.clone();
            tried.semantic.fusion = Fusion::Ranks;
            tried.semantic.share = share;
            tried.semantic.rank_constant = k;
            prepared.with_model(&format!("ranks, share {share}, k {k}"), &tried, labels);
        }
    }
}

fn main() {
    let sweeping = std::env::args().any(|a| a == "--sweep");
    let fields = zijin_domain::TechnicalField::defaults();
    let labels: FieldLabels = fields
        .iter()
        .map(|f| (f.code.clone(), f.label.clone()))
        .collect();
    let config = MatchConfig::shipped();
    let mut cache = std::env::var("ZIJIN_E5_MODEL").ok().map(|path| {
        VectorCache::open(
            Embedder::load(std::path::Path::new(&path)).expect("the semantic model loads"),
        )
    });
    if cache.is_none() {
        println!("(ZIJIN_E5_MODEL not set: the rows with the model are left out)");
    }
    let tuning = eval::tuning_set(&fields);
    let prepared = prepare(&tuning, cache.as_mut());
    evaluate(&prepared, &config, &labels);
    if sweeping {
        sweep(&prepared, &config, &labels);
    }
    drop(prepared);
    if !sweeping {
        let held_out = eval::held_out_set(&fields);
        let prepared = prepare(&held_out, cache.as_mut());
        evaluate(&prepared, &config, &labels);
    }
    if let Some(cache) = &cache {
        cache.save();
    }
}
