//! Dense vectors of the records (semantic matching, issue 6), kept beside the text index and
//! made again with it. Each record's sentence embedding is stored as 8-bit integers with one
//! scale per vector (a quarter of the memory of floats, so a million records fit with the
//! text index in 2 GiB), together with a hash of the text it was computed from, so a changed
//! record is seen to need a new vector. Search is exact up to `exact_limit` vectors of a kind;
//! beyond, every vector also has a 48-byte code — the sign of each component after the kind's
//! mean vector is taken off — and a query first ranks all codes by Hamming distance (an eighth
//! of the bytes of the vectors to read), then compares the best `rescore` exactly. Recall
//! against exact search is measured in `bench/semantic-scale` (an IVF index was tried first
//! and fell short: BENCHMARKS.md).
//!
//! The model is not known here: callers embed, and the file remembers the model's fingerprint
//! so vectors of another model are never mixed in.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

/// The vectors' file, kept in the index's directory.
pub const VECTORS_FILE: &str = "vectors.bin";

/// The two kinds of record, each with vectors of its own.
const KINDS: [&str; 2] = ["achievement", "demand"];
const MAGIC: &[u8; 8] = b"ZJVEC004";
/// A slot whose record was removed (reused by the next insert).
const FREE: u64 = u64::MAX;
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("语义向量文件 {0} 无法读写：{1}")]
    Io(String, std::io::Error),
    #[error("语义向量文件 {0} 已损坏：{1}")]
    Damaged(String, String),
}

/// How vectors are searched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorSettings {
    /// Up to this many vectors of a kind every vector is compared (exact).
    pub exact_limit: usize,
    /// Beyond it, how many records the sign codes pass on to be compared exactly.
    pub rescore: usize,
}

impl Default for VectorSettings {
    fn default() -> Self {
        VectorSettings {
            exact_limit: 100_000,
            rescore: 10_000,
        }
    }
}

/// One record's vector as stored: 8-bit components and their scale.
#[derive(Debug, Clone, PartialEq)]
struct Quantized {
    scale: f32,
    values: Vec<i8>,
}

impl Quantized {
    /// Rounds a vector to 8 bits, the largest component to ±127.
    fn of(vector: &[f32]) -> Quantized {
        let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        Quantized {
            scale,
            values: vector
                .iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        }
    }
}

/// The integer dot product, written so that the compiler vectorises it.
#[inline(always)]
fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.chunks_exact(16)
        .zip(b.chunks_exact(16))
        .map(|(x, y)| {
            x.iter()
                .zip(y)
                .map(|(p, q)| i32::from(*p) * i32::from(*q))
                .sum::<i32>()
        })
        .sum::<i32>()
        + a.chunks_exact(16)
            .remainder()
            .iter()
            .zip(b.chunks_exact(16).remainder())
            .map(|(p, q)| i32::from(*p) * i32::from(*q))
            .sum::<i32>()
}

/// The vectors of one kind of record.
#[derive(Default)]
struct VectorSet {
    ids: Vec<u64>,
    text_hashes: Vec<u64>,
    scales: Vec<f32>,
    values: Vec<i8>,
    slot_of: HashMap<u64, u32>,
    free: Vec<u32>,
    signs: Option<Signs>,
}

/// One sign bit per component of each vector, after the kind's mean is taken off: sentence
/// embeddings share a large common direction, and without centring most bits would be alike.
/// Ranking by the centred vectors is ranking by the raw ones (the mean's share of a query's
/// dot product is the same for every record).
struct Signs {
    mean: Vec<f32>,
    words: usize,
    /// `words` u64 per slot.
    bits: Vec<u64>,
    /// How many vectors the mean was taken over.
    built_on: usize,
}

impl Signs {
    fn build(set: &VectorSet, dimension: usize) -> Signs {
        let mut mean = vec![0f32; dimension];
        let mut n = 0usize;
        for slot in (0..set.ids.len()).filter(|s| set.ids[*s] != FREE) {
            n += 1;
            for (m, v) in mean.iter_mut().zip(set.values_of(slot, dimension)) {
                *m += f32::from(*v) * set.scales[slot];
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f32);
        let mut signs = Signs {
            mean,
            words: dimension.div_ceil(64),
            bits: Vec::new(),
            built_on: n,
        };
        signs.bits = vec![0; set.ids.len() * signs.words];
        for slot in 0..set.ids.len() {
            let code = signs.code(set.values_of(slot, dimension), set.scales[slot]);
            signs.put(slot, &code);
        }
        signs
    }

    fn code(&self, values: &[i8], scale: f32) -> Vec<u64> {
        let mut code = vec![0u64; self.words];
        for (i, (v, m)) in values.iter().zip(&self.mean).enumerate() {
            if f32::from(*v) * scale > *m {
                code[i / 64] |= 1 << (i % 64);
            }
        }
        code
    }

    fn put(&mut self, slot: usize, code: &[u64]) {
        let end = (slot + 1) * self.words;
        if self.bits.len() < end {
            self.bits.resize(end, 0);
        }
        self.bits[slot * self.words..end].copy_from_slice(code);
    }

    #[inline(always)]
    fn distance(&self, slot: usize, code: &[u64]) -> u32 {
        self.bits[slot * self.words..(slot + 1) * self.words]
            .iter()
            .zip(code)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }
}

impl VectorSet {
    fn len(&self) -> usize {
        self.slot_of.len()
    }

    fn values_of(&self, slot: usize, dimension: usize) -> &[i8] {
        &self.values[slot * dimension..(slot + 1) * dimension]
    }

    fn insert(&mut self, id: u64, text_hash: u64, vector: &Quantized, dimension: usize) {
        let slot = match self.slot_of.get(&id) {
            Some(slot) => *slot as usize,
            None => match self.free.pop() {
                Some(slot) => slot as usize,
                None => {
                    self.ids.push(FREE);
                    self.text_hashes.push(0);
                    self.scales.push(0.0);
                    self.values.resize(self.values.len() + dimension, 0);
                    self.ids.len() - 1
                }
            },
        };
        self.ids[slot] = id;
        self.text_hashes[slot] = text_hash;
        self.scales[slot] = vector.scale;
        self.values[slot * dimension..(slot + 1) * dimension].copy_from_slice(&vector.values);
        self.slot_of.insert(id, slot as u32);
        if let Some(signs) = &mut self.signs {
            let code = signs.code(&vector.values, vector.scale);
            signs.put(slot, &code);
        }
    }

    fn remove(&mut self, id: u64) {
        if let Some(slot) = self.slot_of.remove(&id) {
            self.ids[slot as usize] = FREE;
            self.free.push(slot);
        }
    }

    /// Makes the sign codes when the set has outgrown exact search, and again when it has
    /// doubled since (the mean of a small set may not be a large one's).
    fn maintain(&mut self, dimension: usize, settings: &VectorSettings) {
        let n = self.len();
        let due = match &self.signs {
            None => n > settings.exact_limit,
            Some(signs) => n > 2 * signs.built_on,
        };
        if due {
            self.signs = Some(Signs::build(self, dimension));
        }
    }

    /// The search compiled again for the processor's vector and popcount instructions (chosen
    /// at run time by pulp): the baseline x86-64 target has neither, and the scans are the
    /// whole cost.
    fn nearest(
        &self,
        query: &Quantized,
        n: usize,
        dimension: usize,
        settings: &VectorSettings,
    ) -> Vec<(u64, f32)> {
        pulp::Arch::new().dispatch(Scan {
            set: self,
            query,
            n,
            dimension,
            settings,
        })
    }

    #[inline(always)]
    fn nearest_here(
        &self,
        query: &Quantized,
        n: usize,
        dimension: usize,
        settings: &VectorSettings,
    ) -> Vec<(u64, f32)> {
        let mut best = TopN::new(n);
        let mut consider = |slot: usize| {
            let id = self.ids[slot];
            if id != FREE {
                let similarity = dot(self.values_of(slot, dimension), &query.values) as f32
                    * self.scales[slot]
                    * query.scale;
                best.offer(similarity, id);
            }
        };
        match &self.signs {
            Some(signs) if self.len() > settings.exact_limit => {
                // The codes choose the records to compare: the smallest Hamming distances.
                // Distances are small integers, so the `rescore` nearest are found by counting:
                // the distance at which the count reaches it, then every slot within it.
                let code = signs.code(&query.values, query.scale);
                let keep = settings.rescore.max(n);
                let distances: Vec<u16> = (0..self.ids.len())
                    .map(|slot| {
                        if self.ids[slot] == FREE {
                            u16::MAX
                        } else {
                            signs.distance(slot, &code) as u16
                        }
                    })
                    .collect();
                let mut counts = vec![0usize; signs.words * 64 + 1];
                for d in distances.iter().filter(|d| **d != u16::MAX) {
                    counts[*d as usize] += 1;
                }
                let mut within = 0;
                let mut limit = counts.len() - 1;
                for (d, count) in counts.iter().enumerate() {
                    within += count;
                    if within >= keep {
                        limit = d;
                        break;
                    }
                }
                // All nearer than the limit, and at the limit in slot order until `keep`.
                let mut at_limit = keep.saturating_sub(within - counts[limit]);
                for (slot, d) in distances.iter().enumerate() {
                    let d = *d as usize;
                    if d < limit {
                        consider(slot);
                    } else if d == limit && at_limit > 0 {
                        at_limit -= 1;
                        consider(slot);
                    }
                }
            }
            _ => (0..self.ids.len()).for_each(consider),
        }
        best.into_sorted()
    }
}

/// A search as pulp wants it: `with_simd` is inlined into a function compiled for the
/// detected instruction set (a closure would stay a separate, plainly compiled function).
struct Scan<'a> {
    set: &'a VectorSet,
    query: &'a Quantized,
    n: usize,
    dimension: usize,
    settings: &'a VectorSettings,
}

impl pulp::WithSimd for Scan<'_> {
    type Output = Vec<(u64, f32)>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        self.set
            .nearest_here(self.query, self.n, self.dimension, self.settings)
    }
}

/// The `n` best (similarity, id) pairs seen, best first; ties go to the lower id.
struct TopN {
    n: usize,
    items: Vec<(f32, u64)>,
    floor: f32,
}

impl TopN {
    fn new(n: usize) -> TopN {
        TopN {
            n,
            items: Vec::with_capacity(2 * n + 1),
            floor: f32::MIN,
        }
    }

    #[inline(always)]
    fn offer(&mut self, similarity: f32, id: u64) {
        if self.n == 0 || similarity < self.floor {
            return;
        }
        self.items.push((similarity, id));
        if self.items.len() >= 2 * self.n {
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        self.items
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.items.truncate(self.n);
        if self.items.len() == self.n {
            self.floor = self.items[self.n - 1].0;
        }
    }

    fn into_sorted(mut self) -> Vec<(u64, f32)> {
        self.shrink();
        self.items.into_iter().map(|(s, id)| (id, s)).collect()
    }
}

/// The records' vectors, both kinds, for one model.
pub struct Vectors {
    dimension: usize,
    fingerprint: u64,
    settings: VectorSettings,
    sets: [VectorSet; 2],
}

fn kind_slot(kind: &str) -> Option<usize> {
    KINDS.iter().position(|k| *k == kind)
}

impl Vectors {
    /// No vectors yet, for a model of `dimension` whose vectors carry `fingerprint`.
    pub fn new(dimension: usize, fingerprint: u64, settings: VectorSettings) -> Vectors {
        Vectors {
            dimension,
            fingerprint,
            settings,
            sets: Default::default(),
        }
    }

    pub fn settings(&self) -> VectorSettings {
        self.settings
    }

    pub fn set_settings(&mut self, settings: VectorSettings) {
        self.settings = settings;
    }

    /// How many vectors of `kind` there are.
    pub fn len(&self, kind: &str) -> usize {
        kind_slot(kind).map_or(0, |k| self.sets[k].len())
    }

    /// Whether search of `kind` goes through the sign codes (more than `exact_limit` vectors).
    pub fn is_approximate(&self, kind: &str) -> bool {
        kind_slot(kind).is_some_and(|k| {
            self.sets[k].signs.is_some() && self.sets[k].len() > self.settings.exact_limit
        })
    }

    /// The hash of the text a record's vector was computed from.
    pub fn text_hash(&self, kind: &str, id: u64) -> Option<u64> {
        let set = &self.sets[kind_slot(kind)?];
        set.slot_of
            .get(&id)
            .map(|slot| set.text_hashes[*slot as usize])
    }

    /// Stores a record's vector (replacing an older one).
    pub fn insert(&mut self, kind: &str, id: u64, text_hash: u64, vector: &[f32]) {
        self.insert_quantized(kind, id, text_hash, &Quantized::of(vector));
    }

    fn insert_quantized(&mut self, kind: &str, id: u64, text_hash: u64, vector: &Quantized) {
        assert_eq!(
            vector.values.len(),
            self.dimension,
            "a vector of the model's dimension"
        );
        if let Some(k) = kind_slot(kind) {
            self.sets[k].insert(id, text_hash, vector, self.dimension);
        }
    }

    pub fn remove(&mut self, kind: &str, id: u64) {
        if let Some(k) = kind_slot(kind) {
            self.sets[k].remove(id);
        }
    }

    /// Every record that has a vector.
    pub fn keys(&self) -> Vec<(&'static str, u64)> {
        KINDS
            .iter()
            .zip(&self.sets)
            .flat_map(|(kind, set)| set.slot_of.keys().map(move |id| (*kind, *id)))
            .collect()
    }

    /// Makes the sign codes where a kind has outgrown exact search.
    pub fn maintain(&mut self) {
        for set in &mut self.sets {
            set.maintain(self.dimension, &self.settings);
        }
    }

    /// The `n` records of `kind` most similar to `query` (cosine), best first.
    pub fn nearest(&self, kind: &str, query: &[f32], n: usize) -> Vec<(u64, f32)> {
        match kind_slot(kind) {
            Some(k) => {
                self.sets[k].nearest(&Quantized::of(query), n, self.dimension, &self.settings)
            }
            None => Vec::new(),
        }
    }

    /// Every vector compared, whatever the size: the yardstick for the sign codes' recall.
    pub fn nearest_exact(&self, kind: &str, query: &[f32], n: usize) -> Vec<(u64, f32)> {
        let exact = VectorSettings {
            exact_limit: usize::MAX,
            ..self.settings
        };
        match kind_slot(kind) {
            Some(k) => self.sets[k].nearest(&Quantized::of(query), n, self.dimension, &exact),
            None => Vec::new(),
        }
    }

    /// The cosine between `query` and a record's vector, when it has one.
    pub fn similarity(&self, kind: &str, id: u64, query: &[f32]) -> Option<f32> {
        let set = &self.sets[kind_slot(kind)?];
        let slot = *set.slot_of.get(&id)? as usize;
        let values = set.values_of(slot, self.dimension);
        Some(
            values
                .iter()
                .zip(query)
                .map(|(v, q)| f32::from(*v) * q)
                .sum::<f32>()
                * set.scales[slot],
        )
    }

    /// Bytes the vectors take in memory (what the figures report).
    pub fn memory_bytes(&self) -> usize {
        self.sets
            .iter()
            .map(|s| {
                s.values.capacity()
                    + s.ids.capacity() * 8
                    + s.text_hashes.capacity() * 8
                    + s.scales.capacity() * 4
                    + s.slot_of.capacity() * 16
                    + s.signs
                        .as_ref()
                        .map_or(0, |c| c.bits.capacity() * 8 + c.mean.len() * 4)
            })
            .sum()
    }

    /// Writes every vector to `path` (through a temporary file, so a crash leaves the old
    /// file whole).
    pub fn save(&self, path: &Path) -> Result<(), VectorError> {
        let io = |error| VectorError::Io(path.display().to_string(), error);
        let temporary = path.with_extension("tmp");
        let file = std::fs::File::create(&temporary).map_err(io)?;
        let mut out = std::io::BufWriter::new(file);
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&self.fingerprint.to_le_bytes()).map_err(io)?;
        out.write_all(&(self.dimension as u32).to_le_bytes())
            .map_err(io)?;
        for set in &self.sets {
            out.write_all(&(set.len() as u64).to_le_bytes())
                .map_err(io)?;
            for slot in (0..set.ids.len()).filter(|s| set.ids[*s] != FREE) {
                out.write_all(&set.ids[slot].to_le_bytes()).map_err(io)?;
                out.write_all(&set.text_hashes[slot].to_le_bytes())
                    .map_err(io)?;
                out.write_all(&set.scales[slot].to_le_bytes()).map_err(io)?;
                let values: Vec<u8> = set
                    .values_of(slot, self.dimension)
                    .iter()
                    .map(|v| *v as u8)
                    .collect();
                out.write_all(&values).map_err(io)?;
            }
        }
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        std::fs::rename(&temporary, path).map_err(io)?;
        Ok(())
    }

    /// Reads the vectors saved at `path` for the model with `fingerprint`. None when there is
    /// no file or it holds another model's vectors (they are all computed again).
    pub fn load(
        path: &Path,
        dimension: usize,
        fingerprint: u64,
        settings: VectorSettings,
    ) -> Result<Option<Vectors>, VectorError> {
        let name = path.display().to_string();
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(VectorError::Io(name, error)),
        };
        let mut input = std::io::BufReader::new(file);
        let damaged = |what: &str| VectorError::Damaged(name.clone(), what.to_string());
        let mut read = |buffer: &mut [u8], what: &str| {
            input
                .read_exact(buffer)
                .map_err(|_| damaged(&format!("{what}不完整")))
        };
        let mut magic = [0u8; 8];
        read(&mut magic, "文件头")?;
        if &magic != MAGIC {
            return Err(damaged("不是语义向量文件"));
        }
        let mut word = [0u8; 8];
        read(&mut word, "模型标识")?;
        let mut small = [0u8; 4];
        read(&mut small, "维数")?;
        if u64::from_le_bytes(word) != fingerprint
            || u32::from_le_bytes(small) as usize != dimension
        {
            return Ok(None);
        }
        let mut vectors = Vectors::new(dimension, fingerprint, settings);
        let mut values = vec![0u8; dimension];
        for kind in KINDS {
            read(&mut word, "条数")?;
            let count = u64::from_le_bytes(word);
            for _ in 0..count {
                read(&mut word, "记录编号")?;
                let id = u64::from_le_bytes(word);
                read(&mut word, "文本摘要")?;
                let text_hash = u64::from_le_bytes(word);
                read(&mut small, "比例")?;
                let scale = f32::from_le_bytes(small);
                read(&mut values, "向量")?;
                if !scale.is_finite() {
                    return Err(damaged("比例不是有限数"));
                }
                let vector = Quantized {
                    scale,
                    values: values.iter().map(|v| *v as i8).collect(),
                };
                vectors.insert_quantized(kind, id, text_hash, &vector);
            }
        }
        if input
            .read(&mut [0u8; 1])
            .map_err(|e| VectorError::Io(name.clone(), e))?
            != 0
        {
            return Err(damaged("末尾有多余内容"));
        }
        vectors.maintain();
        Ok(Some(vectors))
    }
}

/// A stable 64-bit hash of a text (FNV-1a): tells whether a record's vector is for its
/// current text.
pub fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic unit vectors in clusters, as sentence embeddings are.
    fn clustered(n: usize, dimension: usize, clusters: usize) -> Vec<Vec<f32>> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        };
        let centres: Vec<Vec<f32>> = (0..clusters)
            .map(|_| (0..dimension).map(|_| next()).collect())
            .collect();
        (0..n)
            .map(|i| {
                let v: Vec<f32> = centres[i % clusters]
                    .iter()
                    .map(|c| c + 0.6 * next())
                    .collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect()
    }

    fn exact_float(vectors: &[Vec<f32>], query: &[f32], n: usize) -> Vec<u64> {
        let mut scored: Vec<(f32, u64)> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum(), i as u64 + 1))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, id)| id).collect()
    }

    #[test]
    fn eight_bit_vectors_find_what_float_vectors_find() {
        let data = clustered(2_000, 64, 20);
        let mut vectors = Vectors::new(64, 1, VectorSettings::default());
        for (i, v) in data.iter().enumerate() {
            vectors.insert("achievement", i as u64 + 1, 7, v);
        }
        let mut same = 0;
        for query in data.iter().step_by(100) {
            let expected = exact_float(&data, query, 10);
            let found: Vec<u64> = vectors
                .nearest("achievement", query, 10)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            same += found.iter().filter(|id| expected.contains(id)).count();
            // The query itself comes first with a cosine of about one.
            let first = vectors.nearest("achievement", query, 1)[0];
            assert!((first.1 - 1.0).abs() < 0.01, "{first:?}");
        }
        assert!(same >= 190, "{same} of 200 neighbours as with floats");
        assert_eq!(vectors.len("demand"), 0);
        assert!(vectors.nearest("demand", &data[0], 5).is_empty());
    }

    #[test]
    fn sign_codes_keep_recall_and_follow_changes() {
        let data = clustered(6_000, 48, 60);
        let settings = VectorSettings {
            exact_limit: 1_000,
            rescore: 300,
        };
        let mut vectors = Vectors::new(48, 1, settings);
        for (i, v) in data.iter().enumerate() {
            vectors.insert("demand", i as u64 + 1, 0, v);
        }
        assert!(!vectors.is_approximate("demand"));
        vectors.maintain();
        assert!(vectors.is_approximate("demand"));
        let mut same = 0;
        let queries: Vec<&Vec<f32>> = data.iter().step_by(60).collect();
        for query in &queries {
            let exact: Vec<u64> = vectors
                .nearest_exact("demand", query, 10)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let found = vectors.nearest("demand", query, 10);
            same += found.iter().filter(|(id, _)| exact.contains(id)).count();
        }
        let recall = same as f64 / (queries.len() * 10) as f64;
        assert!(recall >= 0.9, "recall@10 {recall}");
        // Read back, the codes are made again and answer the same.
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("vectors.bin");
        vectors.save(&path).unwrap();
        let loaded = Vectors::load(&path, 48, 1, settings).unwrap().unwrap();
        assert!(loaded.is_approximate("demand"));
        for query in &queries {
            assert_eq!(
                loaded.nearest("demand", query, 10),
                vectors.nearest("demand", query, 10)
            );
        }
        // A removed record is no longer found; a new one is placed in a cell and found.
        vectors.remove("demand", 1);
        assert!(
            vectors
                .nearest("demand", &data[0], 10)
                .iter()
                .all(|(id, _)| *id != 1)
        );
        vectors.insert("demand", 99_999, 0, &data[0]);
        assert_eq!(vectors.nearest("demand", &data[0], 1)[0].0, 99_999);
        assert_eq!(vectors.len("demand"), 6_000);
    }

    #[test]
    fn saved_vectors_load_again_and_another_model_or_damage_is_told() {
        let data = clustered(50, 16, 5);
        let mut vectors = Vectors::new(16, 42, VectorSettings::default());
        for (i, v) in data.iter().enumerate() {
            vectors.insert(KINDS[i % 2], i as u64 + 1, i as u64 * 3, v);
        }
        vectors.remove("achievement", 1);
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("vectors.bin");
        vectors.save(&path).unwrap();
        let loaded = Vectors::load(&path, 16, 42, VectorSettings::default())
            .unwrap()
            .expect("the same model's vectors");
        assert_eq!(loaded.len("achievement"), 24);
        assert_eq!(loaded.len("demand"), 25);
        assert_eq!(loaded.text_hash("demand", 2), Some(3));
        assert_eq!(loaded.text_hash("achievement", 1), None);
        assert_eq!(
            loaded.nearest("demand", &data[3], 3),
            vectors.nearest("demand", &data[3], 3)
        );
        // Another model's vectors, or no file, mean every vector is computed again.
        assert!(
            Vectors::load(&path, 16, 43, VectorSettings::default())
                .unwrap()
                .is_none()
        );
        assert!(
            Vectors::load(
                &directory.path().join("none"),
                16,
                42,
                VectorSettings::default()
            )
            .unwrap()
            .is_none()
        );
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let error = Vectors::load(&path, 16, 42, VectorSettings::default())
            .err()
            .expect("a cut file is refused");
        assert!(error.to_string().contains("已损坏"), "{error}");
    }
}
