//! The few statistics `trends` and `patterns` share: how surprising a count is against
//! the count expected of it, and how to keep many such questions from crying wolf.
//!
//! - **p-value**: one-sided, for an excess: P(X ≥ count) with X ~ Poisson(expected). A
//!   cell of a table of N incidents is, strictly, binomial(N, expected ÷ N); the Poisson
//!   has the larger variance (expected rather than expected × (1 − expected ÷ N)), so it
//!   is the conservative choice — it never calls a cell more surprising than the binomial
//!   would — and the two agree for the small shares where patterns live. It also needs no
//!   N, so the same test serves an expected count that comes from something other than a
//!   table (hours worked, a period before a fix). Only an excess is tested: a combination
//!   that fails *less* often than chance is not a defect to chase.
//! - **z**: the Pearson residual (count − expected) ÷ √expected, the standardised distance
//!   in the Poisson's own units; a sort key that keeps its order when p underflows to 0.
//! - **q**: Benjamini–Hochberg adjusted p-values over every cell that could have been
//!   tested (cells never seen count, with p = 1): listing the cells with q < 0.05 keeps the
//!   expected share of false findings among them under 5 %.

use statrs::distribution::{DiscreteCDF, Poisson};

/// P(X ≥ count) for X ~ Poisson(expected): 1 for a count of 0, and for an expectation of 0
/// (nothing could be expected there, so nothing seen there is evidence of anything).
pub fn poisson_excess(count: u64, expected: f64) -> f64 {
    if count == 0 || expected.is_nan() || expected <= 0.0 || !expected.is_finite() {
        return 1.0;
    }
    match Poisson::new(expected) {
        // P(X > count − 1), through the regularised incomplete gamma function, which stays
        // accurate far out in the tail where 1 − cdf would round to 0.
        Ok(d) => d.sf(count - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// The Pearson residual (count − expected) ÷ √expected; 0 when nothing was expected.
pub fn z(count: u64, expected: f64) -> f64 {
    if expected > 0.0 { (count as f64 - expected) / expected.sqrt() } else { 0.0 }
}

/// Benjamini–Hochberg q-values for `ps`, as if `tests` questions had been asked (at least
/// `ps.len()`; the ones not listed had p = 1). Returned in the order of `ps`.
pub fn bh(ps: &[f64], tests: usize) -> Vec<f64> {
    let m = tests.max(ps.len()) as f64;
    let mut order: Vec<usize> = (0..ps.len()).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut q = vec![1.0; ps.len()];
    // The unlisted tests sit above every listed one with p = 1, so m × 1 ÷ rank ≥ 1: the
    // running minimum from the top starts at 1.
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(ps[i] * m / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// The largest p-value that BH rejects at level `alpha` among `ps` out of `tests`: a cell
/// is a finding when its p is at most this. None when nothing is rejected.
pub fn bh_cutoff(ps: &[f64], tests: usize, alpha: f64) -> Option<f64> {
    let m = tests.max(ps.len()) as f64;
    let mut sorted: Vec<f64> = ps.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.iter().enumerate().rev().find(|(rank, p)| **p <= alpha * (*rank + 1) as f64 / m).map(|(_, p)| *p)
}

/// The p-value BH's step-up procedure rejects at or below, at level `alpha`: α R ÷ m with
/// R the number rejected (α ÷ m when nothing is: the bar a first finding would have to pass).
pub fn bh_threshold(ps: &[f64], tests: usize, alpha: f64) -> f64 {
    let m = tests.max(ps.len()).max(1) as f64;
    let rejected = bh_cutoff(ps, tests, alpha).map_or(0, |cut| ps.iter().filter(|p| **p <= cut).count());
    alpha * rejected.max(1) as f64 / m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }

    #[test]
    fn poisson_tails_by_hand() {
        // P(X ≥ 2 | 1.5) = 1 − e^−1.5 (1 + 1.5) = 1 − 0.2231302 × 2.5
        close(poisson_excess(2, 1.5), 1.0 - (-1.5f64).exp() * 2.5);
        close(poisson_excess(2, 1.5), 0.4421746);
        // P(X ≥ 1 | 0.5) = 1 − e^−0.5
        close(poisson_excess(1, 0.5), 0.3934693);
        assert_eq!(poisson_excess(0, 3.0), 1.0);
        assert_eq!(poisson_excess(5, 0.0), 1.0);
        // Far in the tail it stays a positive number rather than rounding to 0:
        // P(X ≥ 60 | 10) = Σ_{k≥60} 10^k e^−10 / k! = 6.5219e-27 (summed term by term).
        let far = poisson_excess(60, 10.0);
        assert!((far / 6.5219e-27 - 1.0).abs() < 1e-3, "{far}");
    }

    #[test]
    fn z_is_the_pearson_residual() {
        close(z(2, 1.5), 0.5 / 1.5f64.sqrt());
        close(z(1, 0.5), std::f64::consts::FRAC_1_SQRT_2);
        assert_eq!(z(3, 0.0), 0.0);
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // Sorted 0.01, 0.03, 0.04, 0.5 → 4p/rank: 0.04, 0.06, 0.0533, 0.5 → running min
        // from the top: 0.04, 0.0533, 0.0533, 0.5.
        let q = bh(&[0.01, 0.04, 0.03, 0.5], 4);
        for (got, want) in q.iter().zip([0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.5]) {
            close(*got, want);
        }
        // Twice as many questions asked, half of them with nothing seen: twice the q.
        close(bh(&[0.01], 2)[0], 0.02);
        // At 0.05 the thresholds are 0.0125, 0.025, 0.0375, 0.05: only 0.01 passes its own.
        assert_eq!(bh_cutoff(&[0.01, 0.04, 0.03, 0.5], 4, 0.05), Some(0.01));
        assert_eq!(bh_cutoff(&[0.01, 0.04, 0.03, 0.5], 4, 0.01), None);
        assert_eq!(bh_cutoff(&[0.02, 0.9], 2, 0.05), Some(0.02));
        // Two findings of 1e-90 and 1e-80 among 1,000: the bar is 0.05 × 2 ÷ 1000, not 1e-80.
        close(bh_threshold(&[1e-90, 1e-80, 0.5], 1000, 0.05), 1e-4);
        close(bh_threshold(&[0.5], 1000, 0.05), 5e-5);
    }
}
