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
