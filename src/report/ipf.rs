//! Expected counts that one strong pattern cannot bend (quasi-independence).
//!
//! Under independence a cell's expected count comes from its margins. But the margins hold
//! the patterns too: 150 extra incidents of billy's on Wednesdays raise both the Wednesday
//! and the billy margins, so every other Wednesday cell, and every other cell of billy's,
//! looks a little short, and every cell of neither a little long; with thousands of
//! incidents those few percent become "significant" neighbours of the one real finding.
//! Giving each cell already found its own term removes that: the main effects are fitted
//! to the other cells alone, and a held-out cell's expectation is what those main effects
//! predict for it, without its own term. That is the log-linear model of quasi-independence
//! (Bishop, Fienberg and Holland, *Discrete Multivariate Analysis*, ch. 5), fitted here by
//! iterative proportional fitting: each dimension's factors are scaled in turn until the
//! fitted counts of the cells not held out add up to the observed margins, less the held
//! cells' counts. With nothing held out and every cell alike this is independence after
//! one sweep, exactly; with a weight per cell (the hours worked in it) it is the Poisson
//! model with that weight as offset and one rate per value of each dimension.
//!
//! Who is held out is the caller's question (cells found at a false discovery rate,
//! refitted until the set of findings is stable: `report::trends`, `report::patterns`).

use std::collections::HashSet;

/// Cells found at this false discovery rate get their own term, whatever `--q` a listing
/// asks for, so the expectations (and so every p and q) never depend on `--q`.
pub const HOLD_Q: f64 = 0.05;
/// Refits before the set of findings is taken as it stands (it settles in two or three).
pub const MAX_ROUNDS: usize = 8;

/// Stop when no factor moves by more than this, relatively, in a sweep.
const TOLERANCE: f64 = 1e-10;
/// And in any case after this many sweeps (a table with structural zeros can creep).
const MAX_SWEEPS: usize = 500;

/// The cells of a table: every combination of levels, each with weight 1; or the cells
/// listed, each with its weight (hours worked), the others holding nothing by design.
#[derive(Debug, Clone, Copy)]
pub enum Cells<'a> {
    Every,
    Weighted(&'a [(Vec<u32>, f64)]),
}

/// A cell with its own term: its levels, count and weight (1 in a table of `Every` cell).
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub cell: Vec<u32>,
    pub count: f64,
    pub weight: f64,
}

/// The fitted main effects: one factor per level of each dimension, and the factors of
/// independence (nothing held out).
#[derive(Debug, Clone)]
pub struct Model {
    factors: Vec<Vec<f64>>,
    independent: Vec<Vec<f64>>,
}

impl Model {
    /// A cell's expected count: its weight times its levels' factors. For a held-out cell
    /// this is what the rest of the table predicts for it, without its own term. Where the
    /// rest predicts nothing at all (a product that fails in two places only, every one of
    /// its incidents held out), "infinitely surprising" is true and useless: the cell
    /// keeps its expectation under independence, as if nothing were held out.
    pub fn expected(&self, cell: &[u32], weight: f64) -> f64 {
        match product(&self.factors, cell, weight) {
            0.0 => product(&self.independent, cell, weight),
            e => e,
        }
    }
}

/// A cell's weight times its levels' factors.
fn product(factors: &[Vec<f64>], cell: &[u32], weight: f64) -> f64 {
    cell.iter().zip(factors).fold(weight, |acc, (&l, f)| acc * f.get(l as usize).copied().unwrap_or(0.0))
}

/// Fit the main effects to `observed` (per dimension, per level: the incidents in the
/// cells that can hold them), with `held` given their own terms.
pub fn fit(observed: &[Vec<f64>], cells: &Cells<'_>, held: &[Held]) -> Model {
    let ones: Vec<Vec<f64>> = observed.iter().map(|m| vec![1.0; m.len()]).collect();
    let mut model = Model { factors: ones.clone(), independent: ones };
    // Independence first, so a level whose every cell is held out keeps a factor from it.
    converge(&mut model, observed, cells, &[]);
    model.independent = model.factors.clone();
    if !held.is_empty() {
        let mut target = observed.to_vec();
        for h in held {
            for (t, &l) in target.iter_mut().zip(&h.cell) {
                if let Some(x) = t.get_mut(l as usize) {
                    *x = (*x - h.count).max(0.0);
                }
            }
        }
        converge(&mut model, &target, cells, held);
    }
    model
}

/// Score with nothing held out, hold out what that finds, and score again, until a round
/// finds nothing that is not held out already (or `MAX_ROUNDS` have passed): the last
/// round's scores. A cell found once keeps its own term: a cell held out frees the cells
/// around it from its excess, which can make a neighbour's lack of one stand out in turn,
/// and letting cells go again would swing between two sets rather than settle.
pub fn settle<H: Ord + Clone, S>(mut score: impl FnMut(&[H]) -> S, found: impl Fn(&S) -> Vec<H>) -> S {
    let mut held: Vec<H> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let scores = score(&held);
        let new: Vec<H> = found(&scores).into_iter().filter(|h| held.binary_search(h).is_err()).collect();
        if new.is_empty() {
            return scores;
        }
        held.extend(new);
        held.sort();
    }
    score(&held)
}

fn converge(model: &mut Model, target: &[Vec<f64>], cells: &Cells<'_>, held: &[Held]) {
    let skip: HashSet<&[u32]> = held.iter().map(|h| h.cell.as_slice()).collect();
    for _ in 0..MAX_SWEEPS {
        let mut moved: f64 = 0.0;
        for (d, want_d) in target.iter().enumerate() {
            let fitted = fitted_margin(model, d, cells, held, &skip);
            for (v, (&want, &got)) in want_d.iter().zip(&fitted).enumerate() {
                // A level none of whose cells is fitted keeps its factor: nothing to match.
                if got > 0.0 {
                    let ratio = want / got;
                    moved = moved.max((ratio - 1.0).abs());
                    model.factors[d][v] *= ratio;
                }
            }
        }
        if moved < TOLERANCE {
            return;
        }
    }
}

/// The fitted counts of dimension `d`'s levels over the cells not held out.
fn fitted_margin(model: &Model, d: usize, cells: &Cells<'_>, held: &[Held], skip: &HashSet<&[u32]>) -> Vec<f64> {
    let mut margin = vec![0.0; model.factors[d].len()];
    match cells {
        Cells::Every => {
            // Every cell alike: the sum over the other dimensions factorises.
            let others: f64 =
                model.factors.iter().enumerate().filter(|(e, _)| *e != d).map(|(_, f)| f.iter().sum::<f64>()).product();
            for (m, f) in margin.iter_mut().zip(&model.factors[d]) {
                *m = f * others;
            }
            for h in held {
                if let Some(m) = margin.get_mut(h.cell[d] as usize) {
                    *m = (*m - product(&model.factors, &h.cell, h.weight)).max(0.0);
                }
            }
        }
        Cells::Weighted(list) => {
            for (cell, weight) in list.iter().filter(|(c, _)| !skip.contains(c.as_slice())) {
                if let Some(m) = margin.get_mut(cell[d] as usize) {
                    *m += product(&model.factors, cell, *weight);
                }
            }
        }
    }
    margin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }

    /// A 2 × 3 table as a row-major array.
    const COUNTS: [[f64; 3]; 2] = [[10.0, 20.0, 30.0], [20.0, 40.0, 100.0]];

    fn margins() -> Vec<Vec<f64>> {
        vec![
            COUNTS.iter().map(|r| r.iter().sum()).collect(),
            (0..3).map(|j| COUNTS.iter().map(|r| r[j]).sum()).collect(),
        ]
    }

    #[test]
    fn with_nothing_held_out_it_is_independence() {
        let m = fit(&margins(), &Cells::Every, &[]);
        // N = 220; row 0 has 60, column 2 has 130: 60 × 130 / 220.
        close(m.expected(&[0, 2], 1.0), 60.0 * 130.0 / 220.0);
        close(m.expected(&[1, 0], 1.0), 160.0 * 30.0 / 220.0);
    }

    #[test]
    fn a_held_out_cell_leaves_the_others_fitted_to_their_own_margins() {
        // Hold out (1, 2): the other five cells are exactly independent (row 1 is twice
        // row 0 in columns 0 and 1), so the fit reproduces them, and predicts (1, 2) as
        // twice (0, 2): 60, where 100 were seen.
        let held = [Held { cell: vec![1, 2], count: 100.0, weight: 1.0 }];
        let m = fit(&margins(), &Cells::Every, &held);
        for (i, row) in COUNTS.iter().enumerate() {
            for (j, &n) in row.iter().enumerate() {
                if (i, j) != (1, 2) {
                    close(m.expected(&[i as u32, j as u32], 1.0), n);
                }
            }
        }
        close(m.expected(&[1, 2], 1.0), 60.0);
    }

    #[test]
    fn settling_holds_out_what_each_round_finds_until_a_round_finds_nothing_new() {
        // Round 1 finds cell 1; held out, it frees cell 2, found in round 2; round 3 finds
        // cell 1 alone again, which is held already: done, with both held.
        let mut rounds = Vec::new();
        let last = settle(
            |held: &[u32]| {
                rounds.push(held.to_vec());
                match held {
                    [] => vec![1],
                    [1] => vec![1, 2],
                    _ => vec![1],
                }
            },
            |found: &Vec<u32>| found.clone(),
        );
        assert_eq!(rounds, [vec![], vec![1], vec![1, 2]]);
        assert_eq!(last, [1]);
    }

    #[test]
    fn listed_cells_with_weights_match_the_every_cell_fit_when_the_weights_are_one() {
        let all: Vec<(Vec<u32>, f64)> = (0..2).flat_map(|i| (0..3).map(move |j| (vec![i, j], 1.0))).collect();
        let held = [Held { cell: vec![1, 2], count: 100.0, weight: 1.0 }];
        let a = fit(&margins(), &Cells::Weighted(&all), &held);
        let b = fit(&margins(), &Cells::Every, &held);
        for (cell, _) in &all {
            close(a.expected(cell, 1.0), b.expected(cell, 1.0));
        }
    }

    #[test]
    fn weights_are_an_offset_the_fit_matches_the_margins_over() {
        // Row 1 worked three times the hours in column 0: its rate there is no higher.
        let weights: Vec<(Vec<u32>, f64)> =
            vec![(vec![0, 0], 1.0), (vec![0, 1], 1.0), (vec![1, 0], 3.0), (vec![1, 1], 1.0)];
        let observed = vec![vec![20.0, 40.0], vec![40.0, 20.0]];
        let m = fit(&observed, &Cells::Weighted(&weights), &[]);
        let e = |i: u32, j: u32| m.expected(&[i, j], weights.iter().find(|(c, _)| *c == [i, j]).map_or(0.0, |w| w.1));
        close(e(0, 0) + e(0, 1), 20.0);
        close(e(1, 0) + e(1, 1), 40.0);
        close(e(0, 0) + e(1, 0), 40.0);
        close(e(0, 1) + e(1, 1), 20.0);
        // Rates: row factor × column factor, the same ratio between rows in each column.
        close((e(1, 0) / 3.0) / e(0, 0), e(1, 1) / e(0, 1));
    }
}
