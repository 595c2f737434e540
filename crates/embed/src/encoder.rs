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

/// GELU with erf in double precision, rounded: nearer the reference's glibc erff than the
/// single-precision port (pairs' cosines 5.8e-4 from the reference's, against 9.3e-4).
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(f64::from(x * std::f32::consts::FRAC_1_SQRT_2)) as f32)
}

/// Steps of the erf table per unit, and where erf is 1 in double precision's rounding to single.
const ERF_STEPS: f64 = 256.0;
const ERF_END: f64 = 6.0;

/// erf and its derivative at every step of [0, ERF_END], for cubic Hermite interpolation.
fn erf_table() -> &'static [(f64, f64)] {
    static TABLE: std::sync::OnceLock<Vec<(f64, f64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let slope = 2.0 / std::f64::consts::PI.sqrt();
        (0..=(ERF_END * ERF_STEPS) as usize + 1)
            .map(|i| {
                let x = i as f64 / ERF_STEPS;
                (libm::erf(x), slope * (-x * x).exp() / ERF_STEPS)
            })
            .collect()
    })
}

/// erf by cubic Hermite interpolation between table steps of 1/256: within 3e-12 of the
/// library's erf (the fourth derivative of erf is below 4.5; the error bound is
/// h⁴·max|f⁗|/384), so that rounded to single precision it is the same value but in rare
/// ties, at a fraction of the library's cost (a quarter of a title's embedding time went to
/// erf).
#[inline(always)]
fn erf(x: f64) -> f64 {
    let a = x.abs();
    if a >= ERF_END || a.is_nan() {
        return libm::erf(x);
    }
    let table = erf_table();
    let u = a * ERF_STEPS;
    let i = u as usize;
    let t = u - i as f64;
    let ((y0, m0), (y1, m1)) = (table[i], table[i + 1]);
    let t2 = t * t;
    let t3 = t2 * t;
    let value = (2.0 * t3 - 3.0 * t2 + 1.0) * y0
        + (t3 - 2.0 * t2 + t) * m0
        + (-2.0 * t3 + 3.0 * t2) * y1
        + (t3 - t2) * m1;
    value.copysign(x)
}

/// The forward pass as pulp wants it: `with_simd` is inlined into a function compiled for the
/// detected instruction set (a closure would stay a separate, plainly compiled function).
struct Forward<'a> {
    encoder: &'a Encoder,
    ids: &'a [u32],
}

impl pulp::WithSimd for Forward<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Vec<f32> {
        self.encoder.mean_state_here(self.ids)
    }
}

impl Encoder {
    /// The mean of the last hidden states of `ids` (begin and end marks included).
    pub fn mean_state(&self, ids: &[u32]) -> Vec<f32> {
        // The whole pass compiled again for the processor's vector and fused multiply-add
        // instructions (chosen at run time): without them each `mul_add` is a library call.
        pulp::Arch::new().dispatch(Forward { encoder: self, ids })
    }

    #[inline(always)]
    fn mean_state_here(&self, ids: &[u32]) -> Vec<f32> {
        let h = self.hidden;
        let tokens = ids.len().min(self.max_positions);
        let mut x = vec![0f32; tokens * h];
        for (t, &id) in ids.iter().take(tokens).enumerate() {
            let row = &mut x[t * h..][..h];
            self.words.row(id as usize, row);
            for ((v, p), k) in row
                .iter_mut()
                .zip(&self.positions[t * h..][..h])
                .zip(&self.token_type)
            {
                *v += p + k;
            }
        }
        add_and_normalise(&mut x, None, &self.embedding_norm, self.eps);

        let head = h / self.heads;
        let scale = 1.0 / (head as f32).sqrt();
        let mut q = vec![0f32; tokens * h];
        let mut k = vec![0f32; tokens * h];
        let mut v = vec![0f32; tokens * h];
        let mut context = vec![0f32; tokens * h];
        let mut projected = vec![0f32; tokens * h];
        let mut middle = vec![0f32; tokens * self.layers.first().map_or(0, |l| l.expand.rows)];
        let mut probabilities = vec![0f32; tokens];
        let padded = tokens.div_ceil(32) * 32;
        let mut keys = vec![0f32; padded * h];
        let mut scores = vec![0f32; padded];
        for layer in &self.layers {
            let input = Quantized::of(&x, h);
            layer.query.multiply(&input, &layer.query_bias, &mut q);
            layer.key.multiply(&input, &layer.key_bias, &mut k);
            layer.value.multiply(&input, &layer.value_bias, &mut v);
            // The keys of each head transposed (dimension-major, padded to 32 with zeros), so
            // that 32 keys' dot products run side by side in four vector registers — each still
            // summed in the same order as one at a time.
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
                    for (p, d) in probabilities.iter_mut().zip(&scores) {
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
        let mut mean = vec![0f32; h];
        for row in x.chunks_exact(h) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        let inverse = 1.0 / tokens as f32;
        for m in mean.iter_mut() {
            *m *= inverse;
        }
        mean
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_erf_table_agrees_with_the_library() {
        let mut worst = 0f64;
        let mut differ = 0;
        let n = 2_000_000;
        for i in 0..n {
            let x = -7.0 + 14.0 * i as f64 / n as f64;
            let (fast, exact) = (super::erf(x), libm::erf(x));
            worst = worst.max((fast - exact).abs());
            if fast as f32 != exact as f32 {
                differ += 1;
            }
        }
        assert!(worst < 1e-11, "{worst}");
        // Rounded to single precision, all but rare ties are the same value.
        assert!(differ * 10_000 < n, "{differ} of {n}");
        assert_eq!(super::erf(0.0), 0.0);
        assert_eq!(super::erf(f64::INFINITY), 1.0);
        assert!(super::erf(f64::NAN).is_nan());
    }
}
