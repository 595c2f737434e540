//! 4-bit weights times 8-bit activations. A weight block holds 32 weights as an f16 scale and
//! 16 bytes of nibbles (byte j: weight j in the low nibble, weight j + 16 in the high one),
//! each weight (nibble − 8) × scale. Activations are quantised per block of 32 to int8 with
//! their own scale, so a block's dot product is integer arithmetic and two multiplications.

use crate::simd;

/// Bytes of one 32-weight block: the f16 scale and 16 bytes of nibbles.
const BLOCK_BYTES: usize = 18;
pub const BLOCK: usize = 32;

/// IEEE half precision to single.
fn half_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * 2f32.powi(exponent - 15),
    }
}

/// A weight matrix of `rows` × `columns`: as it is in the file, and for the matrices that
/// multiply activations also spread out once at load (a byte a weight, scales as f32), so a
/// text's pass does not unpack 21 million nibbles again.
pub struct QuantMatrix {
    pub rows: usize,
    pub columns: usize,
    packed: Vec<u8>,
    nibbles: Vec<u8>,
    scales: Vec<f32>,
    /// With AVX-512 VNNI: the weights of each sixteen rows interleaved for `simd::rows16`, and
    /// their scales block by block (then `nibbles` is left empty).
    interleaved: Vec<u8>,
    scales16: Vec<f32>,
}

impl QuantMatrix {
    /// `spread`: unpack for `multiply` (the word embeddings, read a row at a time, are not).
    pub fn from_blocks(
        bytes: &[u8],
        rows: usize,
        columns: usize,
        spread: bool,
    ) -> Option<QuantMatrix> {
        let size = rows * (columns / BLOCK) * BLOCK_BYTES;
        if !columns.is_multiple_of(BLOCK) || bytes.len() < size {
            return None;
        }
        let mut matrix = QuantMatrix {
            rows,
            columns,
            packed: bytes[..size].to_vec(),
            nibbles: Vec::new(),
            scales: Vec::new(),
            interleaved: Vec::new(),
            scales16: Vec::new(),
        };
        if spread {
            let blocks = rows * columns / BLOCK;
            matrix.nibbles = vec![0u8; rows * columns];
            matrix.scales = vec![0f32; blocks];
            for (b, block) in matrix.packed.chunks_exact(BLOCK_BYTES).enumerate() {
                matrix.scales[b] = half_to_f32(u16::from_le_bytes([block[0], block[1]]));
                let w = &mut matrix.nibbles[b * BLOCK..][..BLOCK];
                for (j, byte) in block[2..].iter().enumerate() {
                    w[j] = byte & 0x0f;
                    w[j + 16] = byte >> 4;
                }
            }
            if rows.is_multiple_of(16) && simd::vnni_available() {
                matrix.interleave();
            }
        }
        Some(matrix)
    }

    /// Lays the spread weights out for the VNNI kernel (and drops the row-major copy).
    fn interleave(&mut self) {
        let blocks = self.columns / BLOCK;
        self.interleaved = Vec::with_capacity(self.rows * self.columns);
        self.scales16 = Vec::with_capacity(self.rows * blocks);
        for group in 0..self.rows / 16 {
            let rows = &self.nibbles[group * 16 * self.columns..][..16 * self.columns];
            self.interleaved
                .extend(simd::interleave16(rows, self.columns));
            for b in 0..blocks {
                for r in 0..16 {
                    self.scales16
                        .push(self.scales[(group * 16 + r) * blocks + b]);
                }
            }
        }
        self.nibbles = Vec::new();
    }

    fn block(&self, row: usize, block: usize) -> &[u8] {
        let at = (row * (self.columns / BLOCK) + block) * BLOCK_BYTES;
        &self.packed[at..at + BLOCK_BYTES]
    }

    /// Row `row` as floats (the word embeddings are read this way).
    pub fn row(&self, row: usize, out: &mut [f32]) {
        for b in 0..self.columns / BLOCK {
            let block = self.block(row, b);
            let scale = half_to_f32(u16::from_le_bytes([block[0], block[1]]));
            for (j, byte) in block[2..].iter().enumerate() {
                out[b * BLOCK + j] = (f32::from(byte & 0x0f) - 8.0) * scale;
                out[b * BLOCK + j + 16] = (f32::from(byte >> 4) - 8.0) * scale;
            }
        }
    }

    /// `out[t][r] = bias[r] + Σ_c self[r][c] · x[t][c]` for every token row t of `x`
    /// (a spread matrix only).
    #[inline(always)]
    pub fn multiply(&self, x: &Quantized, bias: &[f32], out: &mut [f32]) {
        let blocks = self.columns / BLOCK;
        debug_assert_eq!(x.width, self.columns);
        if !self.interleaved.is_empty() {
            // Sixteen rows at a time with AVX-512 VNNI: one instruction multiplies four columns
            // of the sixteen rows.
            for group in 0..self.rows / 16 {
                simd::rows16(
                    &self.interleaved[group * 16 * self.columns..][..16 * self.columns],
                    &self.scales16[group * 16 * blocks..][..16 * blocks],
                    x,
                    &bias[group * 16..][..16],
                    &mut out[group * 16..],
                    self.rows,
                );
            }
            return;
        }
        debug_assert_eq!(self.nibbles.len(), self.rows * self.columns);
        // Eight rows at a time: each activation block is loaded once for the eight.
        const GROUP: usize = 8;
        for first in (0..self.rows).step_by(GROUP) {
            let group = GROUP.min(self.rows - first);
            let weights = &self.nibbles[first * self.columns..][..group * self.columns];
            let scales = &self.scales[first * blocks..][..group * blocks];
            if group == GROUP {
                simd::rows8(weights, scales, x, |t, parts| {
                    let row = &mut out[t * self.rows + first..][..GROUP];
                    for ((o, parts), b) in row.iter_mut().zip(parts).zip(&bias[first..]) {
                        *o = finish(*b, parts);
                    }
                });
                continue;
            }
            for t in 0..x.rows {
                let activations = x.row(t);
                let row = &mut out[t * self.rows + first..][..group];
                for (r, o) in row.iter_mut().enumerate() {
                    let w = &weights[r * self.columns..][..self.columns];
                    let w_scales = &scales[r * blocks..][..blocks];
                    *o = finish(bias[first + r], dot_parts(w, w_scales, &activations));
                }
            }
        }
    }
}

/// One token's quantised activations.
pub(crate) struct Row<'a> {
    pub values: &'a [i8],
    pub scales: &'a [f32],
    pub sums: &'a [i32],
}

/// A row's dot product in two parts: Σ over blocks of scale_w · scale_a · Σ w·a, and
/// Σ scale_w · scale_a · Σ a, which `finish` takes eight times off (the nibbles are stored
/// plus 8) — in the reference's order, so both engines round alike.
#[inline(always)]
pub(crate) fn dot_parts(w: &[u8], w_scales: &[f32], a: &Row<'_>) -> (f32, f32) {
    let (mut total, mut correction) = (0f32, 0f32);
    for (b, (w_scale, (a_scale, a_sum))) in
        w_scales.iter().zip(a.scales.iter().zip(a.sums)).enumerate()
    {
        let w = &w[b * BLOCK..][..BLOCK];
        let v = &a.values[b * BLOCK..][..BLOCK];
        let dot: i32 = w
            .iter()
            .zip(v)
            .map(|(w, v)| i32::from(*w) * i32::from(*v))
            .sum();
        let scale = w_scale * a_scale;
        total = (dot as f32).mul_add(scale, total);
        correction = scale.mul_add(*a_sum as f32, correction);
    }
    (total, correction)
}

/// bias + total − 8 · correction.
#[inline(always)]
fn finish(bias: f32, (total, correction): (f32, f32)) -> f32 {
    (-8.0f32).mul_add(correction, bias + total)
}

/// Activations quantised per block of 32 to int8: values, each block's scale and the sum of
/// its int8 values.
pub struct Quantized {
    pub(crate) rows: usize,
    pub(crate) width: usize,
    pub(crate) values: Vec<i8>,
    pub(crate) scales: Vec<f32>,
    pub(crate) sums: Vec<i32>,
}

impl Quantized {
    /// Token `t`'s activations.
    #[inline(always)]
    pub(crate) fn row(&self, t: usize) -> Row<'_> {
        let blocks = self.width / BLOCK;
        Row {
            values: &self.values[t * self.width..][..self.width],
            scales: &self.scales[t * blocks..][..blocks],
            sums: &self.sums[t * blocks..][..blocks],
        }
    }

    #[inline(always)]
    pub fn of(x: &[f32], width: usize) -> Quantized {
        let rows = x.len() / width;
        let blocks = rows * width / BLOCK;
        let mut values = vec![0i8; rows * width];
        let mut scales = vec![0f32; blocks];
        let mut sums = vec![0i32; blocks];
        for (b, chunk) in x.chunks_exact(BLOCK).enumerate() {
            let largest = chunk.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = largest / 127.0;
            let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let mut sum = 0;
            for (j, v) in chunk.iter().enumerate() {
                let q = (v * inverse).round_ties_even().clamp(-128.0, 127.0) as i8;
                values[b * BLOCK + j] = q;
                sum += i32::from(q);
            }
            scales[b] = scale;
            sums[b] = sum;
        }
        Quantized {
            rows,
            width,
            values,
            scales,
            sums,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_values_convert_exactly() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x3555), 0.333_251_95);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
    }

    #[test]
    fn the_vector_kernel_agrees_with_the_plain_one() {
        // Eight rows of 4 blocks of pseudo-random nibbles, and activations.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let w: Vec<u8> = (0..8 * 128).map(|_| (next() % 16) as u8).collect();
        let w_scales: Vec<f32> = (0..8 * 4).map(|i| 0.01 * (i + 1) as f32).collect();
        let x: Vec<f32> = (0..128)
            .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let q = Quantized::of(&x, 128);
        let row = Row {
            values: &q.values,
            scales: &q.scales,
            sums: &q.sums,
        };
        assert!(
            simd::available() || !cfg!(target_arch = "x86_64"),
            "AVX2 expected here"
        );
        let mut vector = [(0f32, 0f32); 8];
        simd::rows8(&w, &w_scales, &q, |t, parts| {
            assert_eq!(t, 0);
            vector = parts;
        });
        for (r, v) in vector.iter().enumerate() {
            let plain = finish(
                0.0,
                dot_parts(&w[r * 128..][..128], &w_scales[r * 4..][..4], &row),
            );
            let v = finish(0.0, *v);
            assert!(
                (plain - v).abs() <= 1e-4 * plain.abs().max(1.0),
                "{plain} vs {v}"
            );
        }
    }

    #[test]
    fn the_vnni_kernel_gives_the_plain_kernels_sums_exactly() {
        if !simd::vnni_available() {
            return; // Nothing to compare on this processor (the plain and AVX2 kernels run).
        }
        // Thirty-two rows of 96 columns, pseudo-random, and five tokens (one past a group of
        // four).
        let (rows, columns, tokens) = (32, 96, 5);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut bytes = Vec::new();
        for _ in 0..rows * columns / BLOCK {
            let scale = 0x2000u16 + (next() % 0x1000) as u16; // small positive halves
            bytes.extend_from_slice(&scale.to_le_bytes());
            bytes.extend((0..16).map(|_| next() as u8));
        }
        let matrix = QuantMatrix::from_blocks(&bytes, rows, columns, true).unwrap();
        assert!(!matrix.interleaved.is_empty());
        let x: Vec<f32> = (0..tokens * columns)
            .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let q = Quantized::of(&x, columns);
        let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.01).collect();
        let mut fast = vec![0f32; tokens * rows];
        matrix.multiply(&q, &bias, &mut fast);
        // The plain kernel on the same weights.
        let plain_matrix = {
            let mut m = QuantMatrix::from_blocks(&bytes, rows, columns, false).unwrap();
            let blocks = rows * columns / BLOCK;
            m.nibbles = vec![0u8; rows * columns];
            m.scales = vec![0f32; blocks];
            for (b, block) in m.packed.chunks_exact(BLOCK_BYTES).enumerate() {
                m.scales[b] = half_to_f32(u16::from_le_bytes([block[0], block[1]]));
                for (j, byte) in block[2..].iter().enumerate() {
                    m.nibbles[b * BLOCK + j] = byte & 0x0f;
                    m.nibbles[b * BLOCK + j + 16] = byte >> 4;
                }
            }
            m
        };
        let blocks = columns / BLOCK;
        for t in 0..tokens {
            for r in 0..rows {
                let plain = finish(
                    bias[r],
                    dot_parts(
                        &plain_matrix.nibbles[r * columns..][..columns],
                        &plain_matrix.scales[r * blocks..][..blocks],
                        &q.row(t),
                    ),
                );
                assert_eq!(
                    fast[t * rows + r].to_bits(),
                    plain.to_bits(),
                    "token {t} row {r}"
                );
            }
        }
    }

    #[test]
    fn quantised_product_is_close_to_the_float_product() {
        // One row of 64 weights: scale 0.5, nibbles 0..15 repeating (weights −4 … 3.5).
        let mut bytes = Vec::new();
        for _ in 0..2 {
            bytes.extend_from_slice(&0x3800u16.to_le_bytes());
            bytes.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        }
        let matrix = QuantMatrix::from_blocks(&bytes, 1, 64, true).unwrap();
        let mut weights = vec![0f32; 64];
        matrix.row(0, &mut weights);
        assert_eq!(weights[0], -4.0);
        assert_eq!(weights[16], 3.5);
        let x: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin()).collect();
        let exact: f32 = weights.iter().zip(&x).map(|(w, v)| w * v).sum::<f32>() + 1.0;
        let mut out = [0f32];
        matrix.multiply(&Quantized::of(&x, 64), &[1.0], &mut out);
        assert!((out[0] - exact).abs() < 0.05, "{} vs {exact}", out[0]);
    }
}
