//! The BERT encoder of e5-small: word + position + token-type embeddings and a layer norm,
//! then per layer multi-head self-attention and a GELU feed-forward block, each added back
//! and normalised (post-norm). The sentence vector is the mean of the last token states.

use crate::kernels::{QuantMatrix, Quantized};

pub struct Layer {
    pub query: QuantMatrix,
    pub query_bias: Vec<f32>,
    pub key: QuantMatrix,
    pub key_bias: Vec<f32>,
    pub value: QuantMatrix,
    pub value_bias: Vec<f32>,
    pub attention_out: QuantMatrix,
    pub attention_out_bias: Vec<f32>,
    pub attention_norm: (Vec<f32>, Vec<f32>),
    pub expand: QuantMatrix,
    pub expand_bias: Vec<f32>,
    pub contract: QuantMatrix,
    pub contract_bias: Vec<f32>,
    pub output_norm: (Vec<f32>, Vec<f32>),
}

pub struct Encoder {
    pub hidden: usize,
    pub heads: usize,
    pub eps: f32,
    pub max_positions: usize,
    pub words: QuantMatrix,
    pub positions: Vec<f32>,
    pub token_type: Vec<f32>,
    pub embedding_norm: (Vec<f32>, Vec<f32>),
    pub layers: Vec<Layer>,
}

/// `x = layer_norm(x + added)` row by row.
#[inline(always)]
fn add_and_normalise(x: &mut [f32], added: Option<&[f32]>, norm: &(Vec<f32>, Vec<f32>), eps: f32) {
    let width = norm.0.len();
    for (t, row) in x.chunks_exact_mut(width).enumerate() {
        if let Some(added) = added {
            for (v, a) in row.iter_mut().zip(&added[t * width..][..width]) {
                *v += a;
            }
        }
        // Multiply-adds fused where the reference's compiler fuses them, so that both engines
        // round alike (8-bit activations turn tiny differences into whole steps).
        let mean = row.iter().sum::<f32>() / width as f32;
        let variance = row
            .iter()
            .fold(0f32, |sum, v| (v - mean).mul_add(v - mean, sum))
            / width as f32;
        let inverse = 1.0 / (variance + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(&norm.0).zip(&norm.1) {
            *v = ((*v - mean) * inverse).mul_add(*w, *b);
        }
    }
}

/// GELU with erf computed in double precision and rounded: nearer the reference's glibc erff
/// than the single-precision port (pairs' cosines 5.8e-4 from the reference's, against 9.3e-4).
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erf(f64::from(x * std::f32::consts::FRAC_1_SQRT_2)) as f32)
}

/// The forward pass as pulp wants it: `with_simd` is inlined into a function compiled for the
/// detected instruction set (a closure would stay a separate, plainly compiled function).
struct Forward<'a> {
    encoder: &'a Encoder,
    texts: &'a [&'a [u32]],
}

impl pulp::WithSimd for Forward<'_> {
    type Output = Vec<Vec<f32>>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Vec<Vec<f32>> {
        self.encoder.mean_states_here(self.texts)
    }
}

impl Encoder {
    /// The mean states of several texts in one pass: their tokens are stacked, so each weight
    /// matrix is read once for all of them, while attention stays within each text. A token's
    /// every step (its quantisation, products, norms) depends only on its own row and its own
    /// text, so each text's result is bit for bit what it would be alone.
    pub fn mean_states(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        // The whole pass compiled again for the processor's vector and fused multiply-add
        // instructions (chosen at run time): without them each `mul_add` is a library call.
        pulp::Arch::new().dispatch(Forward {
            encoder: self,
            texts,
        })
    }

    #[inline(always)]
    fn mean_states_here(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        // Each text's first row and its length (cut to the model's positions).
        let mut spans = Vec::with_capacity(texts.len());
        let mut total = 0;
        for ids in texts {
            let length = ids.len().min(self.max_positions);
            spans.push((total, length));
            total += length;
        }
        let mut x = vec![0f32; total * h];
        for (ids, &(first, length)) in texts.iter().zip(&spans) {
            for (t, &id) in ids.iter().take(length).enumerate() {
                let row = &mut x[(first + t) * h..][..h];
                self.words.row(id as usize, row);
                for ((v, p), k) in row
                    .iter_mut()
                    .zip(&self.positions[t * h..][..h])
                    .zip(&self.token_type)
                {
                    *v += p + k;
                }
            }
        }
        add_and_normalise(&mut x, None, &self.embedding_norm, self.eps);

        let head = h / self.heads;
        let scale = 1.0 / (head as f32).sqrt();
        let longest = spans.iter().map(|s| s.1).max().unwrap_or(0);
        let mut q = vec![0f32; total * h];
        let mut k = vec![0f32; total * h];
        let mut v = vec![0f32; total * h];
        let mut context = vec![0f32; total * h];
        let mut projected = vec![0f32; total * h];
        let mut middle = vec![0f32; total * self.layers.first().map_or(0, |l| l.expand.rows)];
        let mut probabilities = vec![0f32; longest];
        let padded_longest = longest.div_ceil(32) * 32;
        let mut keys = vec![0f32; padded_longest * h];
        let mut scores = vec![0f32; padded_longest];
        for layer in &self.layers {
            let input = Quantized::of(&x, h);
            layer.query.multiply(&input, &layer.query_bias, &mut q);
            layer.key.multiply(&input, &layer.key_bias, &mut k);
            layer.value.multiply(&input, &layer.value_bias, &mut v);
            for &(first, tokens) in &spans {
                let (q, k, v) = (&q[first * h..], &k[first * h..], &v[first * h..]);
                let context = &mut context[first * h..][..tokens * h];
                let probabilities = &mut probabilities[..tokens];
                // The keys of each head transposed (dimension-major, padded to 32 with zeros),
                // so that 32 keys' dot products run side by side in four vector registers —
                // each still summed in the same order as one at a time.
                let padded = tokens.div_ceil(32) * 32;
                let keys = &mut keys[..padded * h];
                keys.fill(0.0);
                let scores = &mut scores[..padded];
                for s in 0..tokens {
                    for n in 0..self.heads {
                        for e in 0..head {
                            keys[(n * head + e) * padded + s] = k[s * h + n * head + e];
                        }
                    }
                }
                for t in 0..tokens {
                    for n in 0..self.heads {
                        let qh = &q[t * h + n * head..][..head];
                        for first in (0..padded).step_by(32) {
                            let mut dots = [[0f32; 8]; 4];
                            for (e, q) in qh.iter().enumerate() {
                                let column = &keys[(n * head + e) * padded + first..][..32];
                                for (lane, chunk) in dots.iter_mut().zip(column.chunks_exact(8)) {
                                    for j in 0..8 {
                                        lane[j] = q.mul_add(chunk[j], lane[j]);
                                    }
                                }
                            }
                            for (c, lane) in dots.iter().enumerate() {
                                for (j, d) in lane.iter().enumerate() {
                                    scores[first + c * 8 + j] = d * scale;
                                }
                            }
                        }
                        let mut largest = f32::NEG_INFINITY;
                        for (p, d) in probabilities.iter_mut().zip(scores.iter()) {
                            *p = *d;
                            largest = largest.max(*d);
                        }
                        let mut total = 0.0;
                        for p in probabilities.iter_mut() {
                            *p = (*p - largest).exp();
                            total += *p;
                        }
                        let inverse = 1.0 / total;
                        let out = &mut context[t * h + n * head..][..head];
                        out.fill(0.0);
                        for (s, p) in probabilities.iter().enumerate() {
                            let weight = p * inverse;
                            for (o, value) in out.iter_mut().zip(&v[s * h + n * head..][..head]) {
                                *o = weight.mul_add(*value, *o);
                            }
                        }
                    }
                }
            }
            layer.attention_out.multiply(
                &Quantized::of(&context, h),
                &layer.attention_out_bias,
                &mut projected,
            );
            add_and_normalise(&mut x, Some(&projected), &layer.attention_norm, self.eps);
            let width = layer.expand.rows;
            layer
                .expand
                .multiply(&Quantized::of(&x, h), &layer.expand_bias, &mut middle);
            for m in middle.iter_mut() {
                *m = gelu(*m);
            }
            layer.contract.multiply(
                &Quantized::of(&middle, width),
                &layer.contract_bias,
                &mut projected,
            );
            add_and_normalise(&mut x, Some(&projected), &layer.output_norm, self.eps);
        }
        spans
            .iter()
            .map(|&(first, tokens)| {
                let mut mean = vec![0f32; h];
                for row in x[first * h..][..tokens * h].chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                let inverse = 1.0 / tokens as f32;
                for m in mean.iter_mut() {
                    *m *= inverse;
                }
                mean
            })
            .collect()
    }
}
