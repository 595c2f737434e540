//! The packed model file (`E5S1`): a header of sizes, the SentencePiece vocabulary with its
//! scores and normalisation map, and a directory of named tensors — 4-bit blocks for the
//! weight matrices and the word embeddings, little-endian f32 for the rest.

use std::path::Path;

use crate::Role;
use crate::encoder::{Encoder, Layer};
use crate::kernels::QuantMatrix;
use crate::tokenizer::Tokenizer;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("语义模型文件 {path} 无法读取：{source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("语义模型文件格式不对：{0}")]
    Format(String),
}

/// A little-endian reader over the file, failing with a named reason at its end.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| EmbedError::Format(format!("文件在读取{what}时截断")))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u16(&mut self, what: &str) -> Result<u16, EmbedError> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn i32(&mut self, what: &str) -> Result<i32, EmbedError> {
        Ok(i32::from_le_bytes(
            self.take(4, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(
            self.take(4, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn size(&mut self, what: &str) -> Result<usize, EmbedError> {
        let value = self.i32(what)?;
        usize::try_from(value).map_err(|_| EmbedError::Format(format!("{what}为负数")))
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The vocabulary (pieces and their log-probabilities), the special pieces and the
/// character normalisation map.
fn read_tokenizer(c: &mut Cursor<'_>) -> Result<Tokenizer, EmbedError> {
    let count = c.size("词表")?;
    let begin = c.u32("<s>")?;
    let end = c.u32("</s>")?;
    c.u32("<pad>")?;
    let unknown = c.u32("<unk>")?;
    let blob_length = c.u64("词表字节数")? as usize;
    let offsets: Vec<usize> = c
        .take((count + 1) * 4, "词表位置")?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let scores = f32s(c.take(count * 4, "词表分数")?);
    let blob = c.take(blob_length, "词表")?;
    let mut pieces = Vec::with_capacity(count);
    for pair in offsets.windows(2) {
        let piece = blob
            .get(pair[0]..pair[1])
            .ok_or_else(|| EmbedError::Format("词表位置超出范围".into()))?;
        pieces.push(piece);
    }
    let entries = c.size("规范化表")?;
    let length = c.u32("规范化表字节数")? as usize;
    let mut table = Cursor {
        bytes: c.take(length, "规范化表")?,
        at: 0,
    };
    let mut normalisation = std::collections::HashMap::with_capacity(entries);
    let to_char = |code: u32| char::from_u32(code).unwrap_or('\u{FFFD}');
    for _ in 0..entries {
        let from = to_char(table.u32("规范化字符")?);
        let outputs = table.take(1, "规范化长度")?[0];
        let mut to = Vec::with_capacity(usize::from(outputs));
        for _ in 0..outputs {
            to.push(to_char(table.u32("规范化结果")?));
        }
        normalisation.insert(from, to);
    }
    Ok(Tokenizer::new(
        pieces,
        scores,
        [begin, end, unknown],
        normalisation,
    ))
}

/// One entry of the tensor directory.
struct Entry<'a> {
    name: String,
    bytes: &'a [u8],
}

struct Directory<'a>(Vec<Entry<'a>>);

impl<'a> Directory<'a> {
    fn get(&self, name: &str) -> Result<&'a [u8], EmbedError> {
        self.0
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.bytes)
            .ok_or_else(|| EmbedError::Format(format!("缺少张量 {name}")))
    }
    fn floats(&self, name: &str, count: usize) -> Result<Vec<f32>, EmbedError> {
        let bytes = self.get(name)?;
        if bytes.len() < count * 4 {
            return Err(EmbedError::Format(format!("张量 {name} 长度不足")));
        }
        Ok(f32s(&bytes[..count * 4]))
    }
    fn matrix(&self, name: &str, rows: usize, columns: usize) -> Result<QuantMatrix, EmbedError> {
        QuantMatrix::from_blocks(self.get(name)?, rows, columns, !name.starts_with("emb."))
            .ok_or_else(|| EmbedError::Format(format!("张量 {name} 长度不足")))
    }
}

/// The model, loaded: a tokenizer and an encoder. Shared between threads (`&self` only).
pub struct Embedder {
    tokenizer: Tokenizer,
    encoder: Encoder,
}

impl Embedder {
    pub fn load(path: &Path) -> Result<Embedder, EmbedError> {
        let bytes = std::fs::read(path).map_err(|source| EmbedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Embedder::parse(&bytes)
    }

    pub fn parse(bytes: &[u8]) -> Result<Embedder, EmbedError> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(4, "文件头")? != b"E5S1" {
            return Err(EmbedError::Format("不是 E5S1 模型文件".into()));
        }
        c.u32("版本")?;
        let hidden = c.size("隐层宽度")?;
        let layers = c.size("层数")?;
        let heads = c.size("注意力头数")?;
        let feed_forward = c.size("前馈宽度")?;
        let vocabulary = c.size("词表大小")?;
        let max_positions = c.size("最大位置")?;
        c.size("类型词表")?;
        let eps = c.f32("eps")?;
        let block = c.size("量化块")?;
        if block != 32
            || !hidden.is_multiple_of(32)
            || !feed_forward.is_multiple_of(32)
            || heads == 0
        {
            return Err(EmbedError::Format("不支持的量化块或维度".into()));
        }
        let tokenizer = read_tokenizer(&mut c)?;
        // Every id the tokenizer can give must have a row of word embeddings.
        let pieces = tokenizer.piece_count();
        if pieces > vocabulary
            || [tokenizer.begin, tokenizer.end, tokenizer.unknown]
                .iter()
                .any(|&id| id as usize >= pieces)
        {
            return Err(EmbedError::Format(format!(
                "词表有 {pieces} 个词片，词向量只有 {vocabulary} 行"
            )));
        }
        if max_positions < 3 {
            return Err(EmbedError::Format("最大位置数过小".into()));
        }
        let entries = c.size("张量目录")?;
        let mut directory = Vec::with_capacity(entries);
        for _ in 0..entries {
            let length = usize::from(c.u16("张量名")?);
            let name = String::from_utf8_lossy(c.take(length, "张量名")?).into_owned();
            c.take(1, "张量类型")?;
            c.u32("张量大小")?;
            let offset = c.u64("张量位置")? as usize;
            let size = c.u64("张量字节数")? as usize;
            let bytes = offset
                .checked_add(size)
                .and_then(|end| bytes.get(offset..end))
                .ok_or_else(|| EmbedError::Format(format!("张量 {name} 超出文件")))?;
            directory.push(Entry { name, bytes });
        }
        let d = Directory(directory);
        let mut stack = Vec::with_capacity(layers);
        for l in 0..layers {
            let m = |part: &str, rows, columns| d.matrix(&format!("l{l}.{part}.w"), rows, columns);
            let v = |name: &str, n| d.floats(&format!("l{l}.{name}"), n);
            stack.push(Layer {
                query: m("q", hidden, hidden)?,
                query_bias: v("q.b", hidden)?,
                key: m("k", hidden, hidden)?,
                key_bias: v("k.b", hidden)?,
                value: m("v", hidden, hidden)?,
                value_bias: v("v.b", hidden)?,
                attention_out: m("ao", hidden, hidden)?,
                attention_out_bias: v("ao.b", hidden)?,
                attention_norm: (v("aln.w", hidden)?, v("aln.b", hidden)?),
                expand: m("fi", feed_forward, hidden)?,
                expand_bias: v("fi.b", feed_forward)?,
                contract: m("fo", hidden, feed_forward)?,
                contract_bias: v("fo.b", hidden)?,
                output_norm: (v("oln.w", hidden)?, v("oln.b", hidden)?),
            });
        }
        let encoder = Encoder {
            hidden,
            heads,
            eps,
            max_positions,
            words: d.matrix("emb.word", vocabulary, hidden)?,
            positions: d.floats("emb.pos", max_positions * hidden)?,
            token_type: d.floats("emb.type", hidden)?,
            embedding_norm: (d.floats("emb.ln.w", hidden)?, d.floats("emb.ln.b", hidden)?),
            layers: stack,
        };
        Ok(Embedder { tokenizer, encoder })
    }

    /// A number that changes when the model or the inference changes: the hash of a probe
    /// text's vector. Stored vectors carry it, so vectors of two engines are never mixed.
    pub fn fingerprint(&self) -> u64 {
        self.embed("紫金 fingerprint 指纹", Role::Passage)
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
    }

    /// The vector's length (384 for e5-small).
    pub fn dimension(&self) -> usize {
        self.encoder.hidden
    }

    /// The pieces the model reads for a text (prefix included, without <s> and </s>).
    pub fn pieces(&self, text: &str, role: Role) -> Vec<u32> {
        self.tokenizer.encode(&format!("{}{text}", role.prefix()))
    }

    /// The model's input for a text: its pieces in windows of the model's 512 positions, each
    /// with the begin and end marks, and the number of the text's pieces it holds.
    fn windows(&self, text: &str, role: Role) -> Vec<(Vec<u32>, usize)> {
        let pieces = self.pieces(text, role);
        let window = self.encoder.max_positions - 2;
        let parts: Vec<&[u32]> = if pieces.is_empty() {
            vec![&[]]
        } else {
            pieces.chunks(window).collect()
        };
        parts
            .into_iter()
            .map(|part| {
                let mut ids = Vec::with_capacity(part.len() + 2);
                ids.push(self.tokenizer.begin);
                ids.extend_from_slice(part);
                ids.push(self.tokenizer.end);
                (ids, part.len())
            })
            .collect()
    }

    /// The L2-normalised embedding of one text. A text longer than the model's 512 positions
    /// is read in windows whose mean vectors are averaged by their length.
    pub fn embed(&self, text: &str, role: Role) -> Vec<f32> {
        let windows = self.windows(text, role);
        let inputs: Vec<&[u32]> = windows.iter().map(|(ids, _)| ids.as_slice()).collect();
        let means = self.encoder.mean_states(&inputs);
        self.vector(windows.iter().map(|w| w.1).zip(&means))
    }

    /// Window means averaged by the pieces they hold, then L2-normalised.
    fn vector<'m>(&self, windows: impl Iterator<Item = (usize, &'m Vec<f32>)>) -> Vec<f32> {
        let mut sum = vec![0f32; self.dimension()];
        let mut weight = 0f32;
        for (pieces, mean) in windows {
            let w = pieces.max(1) as f32;
            for (s, m) in sum.iter_mut().zip(mean) {
                *s += w * m;
            }
            weight += w;
        }
        let inverse = (1.0 / f64::from(weight)) as f32;
        for s in sum.iter_mut() {
            *s *= inverse;
        }
        let squares = sum.iter().fold(0f32, |n, v| v.mul_add(*v, n));
        let scale = 1.0 / squares.max(1e-12).sqrt();
        sum.iter().map(|v| v * scale).collect()
    }

    /// Embeddings of many texts, spread over `threads` threads. Texts go through the encoder
    /// in batches of up to `BATCH_TOKENS` tokens, so that each weight matrix is read once for
    /// the batch instead of once a text; every vector is bit for bit `embed`'s.
    pub fn embed_all(&self, texts: &[&str], role: Role, threads: usize) -> Vec<Vec<f32>> {
        self.embed_in_batches(texts, role, threads, BATCH_TOKENS)
    }

    /// `embed_all` with batches of up to `batch_tokens` tokens (a text longer than that makes
    /// a batch of its own; 1 embeds text by text).
    pub fn embed_in_batches(
        &self,
        texts: &[&str],
        role: Role,
        threads: usize,
        batch_tokens: usize,
    ) -> Vec<Vec<f32>> {
        let windows: Vec<Vec<(Vec<u32>, usize)>> =
            texts.iter().map(|text| self.windows(text, role)).collect();
        // Consecutive texts, each batch up to the token budget (a long text makes its own).
        let mut batches: Vec<std::ops::Range<usize>> = Vec::new();
        let (mut start, mut tokens) = (0, 0);
        for (i, text) in windows.iter().enumerate() {
            let length: usize = text.iter().map(|(ids, _)| ids.len()).sum();
            if i > start && tokens + length > batch_tokens {
                batches.push(start..i);
                (start, tokens) = (i, 0);
            }
            tokens += length;
        }
        if start < texts.len() {
            batches.push(start..texts.len());
        }
        let threads = threads.clamp(1, batches.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut results: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let done = std::sync::Mutex::new(&mut results);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(batch) = batches.get(b) else { break };
                        let texts = &windows[batch.clone()];
                        let inputs: Vec<&[u32]> = texts
                            .iter()
                            .flat_map(|text| text.iter().map(|(ids, _)| ids.as_slice()))
                            .collect();
                        let means = self.encoder.mean_states(&inputs);
                        let mut means = means.iter();
                        let vectors: Vec<Vec<f32>> = texts
                            .iter()
                            .map(|text| self.vector(text.iter().map(|w| w.1).zip(means.by_ref())))
                            .collect();
                        if let Ok(mut done) = done.lock() {
                            for (i, vector) in batch.clone().zip(vectors) {
                                done[i] = vector;
                            }
                        }
                    }
                });
            }
        });
        results
    }
}

/// Tokens a batch of texts holds at most in `embed_all` (unless one text alone is longer).
pub const BATCH_TOKENS: usize = 256;
