//! The 4-bit × 8-bit dot product with AVX2: per block, `maddubs` multiplies the 32 unsigned
//! nibbles by the 32 signed activations and adds pairs (at most 2·15·128, no overflow), `madd`
//! with ones widens to eight 32-bit sums, and a fused multiply-add puts them, scaled, into
//! eight float lanes summed once at the end. Chosen at run time; elsewhere the plain kernel.
#![allow(unsafe_code)]

use crate::kernels::{BLOCK, Quantized, Row};

/// Whether this processor has AVX2 and FMA.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// For every token of `x`, the dot products of eight weight rows (`w` holds them one after
/// another, `scales` their block scales) in `dot_parts`' two parts, handed to `emit(token,
/// parts)`: with AVX2 each activation block is loaded once for the eight rows; without it the
/// plain kernel does the same sums.
pub fn rows8(
    w: &[u8],
    w_scales: &[f32],
    x: &Quantized,
    mut emit: impl FnMut(usize, [(f32, f32); 8]),
) {
    let (columns, blocks) = (x.width, x.width / BLOCK);
    assert!(w.len() >= 8 * columns && w_scales.len() >= 8 * blocks);
    assert!(x.values.len() >= x.rows * columns && x.scales.len() >= x.rows * blocks);
    assert!(x.sums.len() >= x.rows * blocks);
    let wide = available();
    for t in 0..x.rows {
        let a = x.row(t);
        let parts = if wide {
            vector_rows8(w, w_scales, &a)
        } else {
            std::array::from_fn(|r| {
                crate::kernels::dot_parts(
                    &w[r * columns..][..columns],
                    &w_scales[r * blocks..][..blocks],
                    &a,
                )
            })
        };
        emit(t, parts);
    }
}

#[cfg(target_arch = "x86_64")]
fn vector_rows8(w: &[u8], w_scales: &[f32], a: &Row<'_>) -> [(f32, f32); 8] {
    // SAFETY: only called when `available()` (AVX2 and FMA detected); `rows8` checked that
    // every 32-byte load stays inside the slices.
    unsafe { rows8_avx2(w, w_scales, a) }
}

#[cfg(not(target_arch = "x86_64"))]
fn vector_rows8(_: &[u8], _: &[f32], _: &Row<'_>) -> [(f32, f32); 8] {
    unreachable!("no vector kernel on this architecture: `available()` is false")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows8_avx2(w: &[u8], w_scales: &[f32], a: &Row<'_>) -> [(f32, f32); 8] {
    use std::arch::x86_64::*;
    let blocks = a.scales.len();
    let columns = blocks * BLOCK;
    let ones = _mm256_set1_epi16(1);
    let mut lanes = [_mm256_setzero_ps(); 8];
    let mut correction = [0f32; 8];
    for (b, (a_scale, a_sum)) in a.scales.iter().zip(a.sums).enumerate() {
        // SAFETY: b * BLOCK + 32 ≤ columns ≤ the activations' length (checked by the caller).
        let av = unsafe { _mm256_loadu_si256(a.values.as_ptr().add(b * BLOCK).cast()) };
        let a_sum = *a_sum as f32;
        for r in 0..8 {
            // SAFETY: r * columns + b * BLOCK + 32 ≤ 8 * columns ≤ w.len() (checked).
            let wv = unsafe { _mm256_loadu_si256(w.as_ptr().add(r * columns + b * BLOCK).cast()) };
            let sums = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
            // SAFETY: r < 8 and b < blocks, and w_scales holds 8 · blocks (checked).
            let scale = unsafe { *w_scales.get_unchecked(r * blocks + b) } * a_scale;
            lanes[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(scale), lanes[r]);
            correction[r] = scale.mul_add(a_sum, correction[r]);
        }
    }
    std::array::from_fn(|r| {
        let low = _mm256_castps256_ps128(lanes[r]);
        let high = _mm256_extractf128_ps(lanes[r], 1);
        let four = _mm_add_ps(low, high);
        let two = _mm_add_ps(four, _mm_movehl_ps(four, four));
        let one = _mm_add_ss(two, _mm_shuffle_ps(two, two, 1));
        (_mm_cvtss_f32(one), correction[r])
    })
}

/// Whether this processor has AVX-512 with its VNNI dot-product instruction (and
/// `ZIJIN_EMBED_AVX2` does not ask for the previous kernel, for measuring the two side by side).
pub fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vnni")
            && std::env::var_os("ZIJIN_EMBED_AVX2").is_none()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Sixteen weight rows laid out for `rows16`: for each group of four columns, the four weights
/// of row 0, then of row 1, … row 15 (64 bytes), so that one instruction multiplies four
/// columns of sixteen rows by the same four activations.
pub fn interleave16(nibbles: &[u8], columns: usize) -> Vec<u8> {
    let mut out = vec![0u8; 16 * columns];
    for chunk in 0..columns / 4 {
        for r in 0..16 {
            out[chunk * 64 + r * 4..][..4]
                .copy_from_slice(&nibbles[r * columns + chunk * 4..][..4]);
        }
    }
    out
}

/// `out[t * stride + r] = bias[r] + Σ_b scale · dot − 8 · Σ_b scale · a_sum` for the sixteen
/// rows of `w` (interleaved by `interleave16`, `scales` block-major: block b's sixteen row
/// scales together) and every token t of `x` — per row exactly the operations of
/// `kernels::dot_parts` and `finish`, in the same order (the integer dot of a block is exact
/// however it is summed), so the result does not depend on the kernel.
pub fn rows16(
    w: &[u8],
    scales: &[f32],
    x: &Quantized,
    bias: &[f32],
    out: &mut [f32],
    stride: usize,
) {
    let (columns, blocks) = (x.width, x.width / BLOCK);
    assert!(vnni_available());
    assert!(w.len() >= 16 * columns && scales.len() >= 16 * blocks && bias.len() >= 16);
    assert!(x.values.len() >= x.rows * columns && x.scales.len() >= x.rows * blocks);
    assert!(x.sums.len() >= x.rows * blocks);
    assert!(x.rows == 0 || out.len() >= (x.rows - 1) * stride + 16);
    // SAFETY: AVX-512F and VNNI are present (asserted); every load and store below stays
    // within the lengths asserted above.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        rows16_vnni(w, scales, x, bias, out, stride)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn rows16_vnni(
    w: &[u8],
    scales: &[f32],
    x: &Quantized,
    bias: &[f32],
    out: &mut [f32],
    stride: usize,
) {
    use std::arch::x86_64::*;
    let (columns, blocks) = (x.width, x.width / BLOCK);
    // SAFETY (every block below): indices as asserted by `rows16`.
    let bias = unsafe { _mm512_loadu_ps(bias.as_ptr()) };
    let eight = _mm512_set1_ps(-8.0);
    // Four activations of token t from column `at`, the same in every lane.
    macro_rules! activation {
        ($t:expr, $at:expr) => {
            _mm512_set1_epi32(unsafe {
                std::ptr::read_unaligned(x.values.as_ptr().add($t * columns + $at).cast::<i32>())
            })
        };
    }
    let mut t = 0;
    // Four tokens at a time: each weight load serves four independent sums.
    while t + 4 <= x.rows {
        let mut total = [_mm512_setzero_ps(); 4];
        let mut correction = [_mm512_setzero_ps(); 4];
        for b in 0..blocks {
            let mut dots = [_mm512_setzero_si512(); 4];
            for c in 0..BLOCK / 4 {
                let at = b * BLOCK + c * 4;
                let wv = unsafe { _mm512_loadu_si512(w.as_ptr().add(at * 16).cast()) };
                for (k, dot) in dots.iter_mut().enumerate() {
                    *dot = _mm512_dpbusd_epi32(*dot, wv, activation!(t + k, at));
                }
            }
            let row_scales = unsafe { _mm512_loadu_ps(scales.as_ptr().add(b * 16)) };
            for k in 0..4 {
                let (a_scale, a_sum) = unsafe {
                    (
                        *x.scales.get_unchecked((t + k) * blocks + b),
                        *x.sums.get_unchecked((t + k) * blocks + b),
                    )
                };
                let scale = _mm512_mul_ps(row_scales, _mm512_set1_ps(a_scale));
                total[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots[k]), scale, total[k]);
                correction[k] = _mm512_fmadd_ps(scale, _mm512_set1_ps(a_sum as f32), correction[k]);
            }
        }
        for k in 0..4 {
            let result = _mm512_fmadd_ps(eight, correction[k], _mm512_add_ps(bias, total[k]));
            unsafe { _mm512_storeu_ps(out.as_mut_ptr().add((t + k) * stride), result) };
        }
        t += 4;
    }
    while t < x.rows {
        let mut total = _mm512_setzero_ps();
        let mut correction = _mm512_setzero_ps();
        for b in 0..blocks {
            let mut dot = _mm512_setzero_si512();
            for c in 0..BLOCK / 4 {
                let at = b * BLOCK + c * 4;
                let wv = unsafe { _mm512_loadu_si512(w.as_ptr().add(at * 16).cast()) };
                dot = _mm512_dpbusd_epi32(dot, wv, activation!(t, at));
            }
            let row_scales = unsafe { _mm512_loadu_ps(scales.as_ptr().add(b * 16)) };
            let (a_scale, a_sum) = unsafe {
                (
                    *x.scales.get_unchecked(t * blocks + b),
                    *x.sums.get_unchecked(t * blocks + b),
                )
            };
            let scale = _mm512_mul_ps(row_scales, _mm512_set1_ps(a_scale));
            total = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, total);
            correction = _mm512_fmadd_ps(scale, _mm512_set1_ps(a_sum as f32), correction);
        }
        let result = _mm512_fmadd_ps(eight, correction, _mm512_add_ps(bias, total));
        unsafe { _mm512_storeu_ps(out.as_mut_ptr().add(t * stride), result) };
        t += 1;
    }
}
