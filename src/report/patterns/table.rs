//! The counted table behind `patterns`: every cell of every combination of two or three
//! searched columns counted from the columns in memory, the hierarchies that are never
//! crossed, the hours worked, and each combination's fit (steps 2, 4 and 5 of the search,
//! `super`): what a cell is expected to hold, given its table and the findings held out.

use std::collections::HashMap;

use crate::report::trends::{Dim, Value};
use crate::report::{ipf, stats};

use super::collect::{Collect, Column, Dict, Levels, MISSING, MISSING_SET};
use super::{HIERARCHY, MAX_LEVELS, exposure_dims};

/// The hours worked, on the table's columns and levels (step 5).
pub(super) struct Worked {
    total: f64,
    /// Per measured column, the hours of each level.
    margins: HashMap<usize, Vec<f64>>,
    /// The hours of every two and three measured values together (keys sorted).
    cells: HashMap<Key, f64>,
}

impl Worked {
    fn new(exposure: &HashMap<Vec<Value>, f64>, columns: &[Dim], dicts: &[Option<Dict>]) -> Worked {
        // A column too wide to search (no dictionary) is never in a cell: not measured.
        let at: Vec<Option<(usize, &Dict)>> = exposure_dims()
            .iter()
            .map(|d| columns.iter().position(|c| c == d).and_then(|c| Some((c, dicts[c].as_ref()?))))
            .collect();
        let mut margins: HashMap<usize, Vec<f64>> =
            at.iter().flatten().map(|&(c, dict)| (c, vec![0.0; dict.values.len()])).collect();
        let mut cells: HashMap<Key, f64> = HashMap::new();
        let mut total = 0.0;
        for (key, &hours) in exposure {
            total += hours;
            let items: Key = key
                .iter()
                .zip(&at)
                .filter_map(|(v, c)| c.and_then(|(c, dict)| dict.ids.get(v).map(|&l| (c, l))))
                .collect();
            for &(c, l) in &items {
                if let Some(m) = margins.get_mut(&c) {
                    m[l as usize] += hours;
                }
            }
            for mask in 0u32..(1 << items.len()) {
                if (2..=3).contains(&mask.count_ones()) {
                    let sub =
                        sorted(&(0..items.len()).filter(|i| mask & (1 << i) != 0).map(|i| items[i]).collect::<Key>());
                    *cells.entry(sub).or_insert(0.0) += hours;
                }
            }
        }
        Worked { total, margins, cells }
    }

    /// `factor` where something was worked, and 0 where nothing was: a cell's weight in
    /// the fit of a combination of two or more measured columns.
    fn worked(&self, key: &[Item]) -> f64 {
        let measured: Key = key.iter().filter(|(c, _)| self.margins.contains_key(c)).copied().collect();
        if self.cells.get(&measured).is_some_and(|e| *e > 0.0) { self.factor(key) } else { 0.0 }
    }

    /// How concentrated the hours worked are in a cell's measured values: 1 for a cell
    /// with fewer than two of them, or where nothing was worked (see step 5).
    fn factor(&self, key: &[Item]) -> f64 {
        let measured: Key = key.iter().filter(|(c, _)| self.margins.contains_key(c)).copied().collect();
        if measured.len() < 2 || self.total <= 0.0 {
            return 1.0;
        }
        let Some(&cell) = self.cells.get(&measured).filter(|e| **e > 0.0) else { return 1.0 };
        let mut f = cell / self.total;
        for (c, l) in &measured {
            let e = self.margins[c][*l as usize];
            if e <= 0.0 {
                return 1.0;
            }
            f /= e / self.total;
        }
        f
    }
}

/// A value of one column: (column, level).
pub(super) type Item = (usize, u32);
/// A cell: its items in column order (two or three of them).
pub(super) type Key = Vec<Item>;

/// The counted table: columns searched, their levels, margins and every cell's count.
pub(super) struct Table {
    pub(super) columns: Vec<Dim>,
    pub(super) values: Vec<Vec<Value>>,
    pub(super) margins: Vec<Vec<u64>>,
    pub(super) cells: HashMap<Key, u64>,
    /// A → B hierarchies: for column A, (B, the B level of each A level).
    pub(super) coarser: HashMap<usize, (usize, Vec<u32>)>,
    /// The combinations of columns crossed, each in column order.
    pub(super) combos: Vec<Vec<usize>>,
    /// Each combination's own margins (`count_combo`).
    pub(super) observed: HashMap<Vec<usize>, Vec<Vec<f64>>>,
    /// The hours worked, when the book has shifts (step 5).
    pub(super) worked: Option<Worked>,
    /// Each combination's fitted main effects (step 2), once `fit` has run.
    pub(super) models: HashMap<Vec<usize>, ipf::Model>,
}

impl Table {
    pub(super) fn related(&self, a: usize, b: usize) -> bool {
        self.coarser.get(&a).is_some_and(|(c, _)| *c == b) || self.coarser.get(&b).is_some_and(|(c, _)| *c == a)
    }

    /// A cell's weight in its combination's fit: how concentrated the hours worked are in
    /// it (step 5), 1 without shifts.
    pub(super) fn weight(&self, key: &[Item]) -> f64 {
        self.worked.as_ref().map_or(1.0, |w| w.factor(key))
    }

    /// The cell's expected count from its combination's fit (step 2): for a cell held out,
    /// what the rest of its table predicts for it. 0 for a cell of no fitted combination.
    pub(super) fn expected(&self, key: &[Item]) -> f64 {
        let combo: Vec<usize> = key.iter().map(|(c, _)| *c).collect();
        let levels: Vec<u32> = key.iter().map(|(_, l)| *l).collect();
        self.models.get(&combo).map_or(0.0, |m| m.expected(&levels, self.weight(key)))
    }

    /// A cell's expectation and p (step 2): against its own combination's fit, and for a
    /// three-way cell also against the rest of each two-way line it lies on (`beside`),
    /// whichever is the least surprising: a three-way cell is news only where it stands out
    /// from its neighbours along every line, not where a whole line is high (billy worked
    /// in seattle more than chance says: every hour of it is a little high).
    /// A cell whose own p is above `bound` already is never a finding at it, and raising
    /// its p further moves no q at or below it: its lines are not read.
    pub(super) fn surprise(&self, key: &Key, n: u64, bound: f64) -> (f64, f64) {
        let own = self.expected(key);
        let mut best = (own, stats::poisson_excess(n, own));
        if key.len() == 3 && best.1 <= bound {
            for extra in 0..3 {
                if let Some(e) = self.beside(key, extra) {
                    let p = stats::poisson_excess(n, e);
                    if p > best.1 {
                        best = (e, p);
                    }
                }
            }
        }
        best
    }

    /// What the rest of a line predicts for one of its cells: the line is every cell that
    /// differs from `key` in its `extra` item alone; the others' count times this cell's
    /// fitted share of theirs. Leaving the cell out keeps its own excess from raising the
    /// bar it is held to.
    fn beside(&self, key: &[Item], extra: usize) -> Option<f64> {
        let (n, e) = self.rest_of_line(key, extra);
        (e > 0.0).then(|| n as f64 * self.expected(key) / e)
    }

    /// The count and expectation, in `key`'s own combination, of the cells that differ from
    /// it in its `extra` item alone.
    fn rest_of_line(&self, key: &[Item], extra: usize) -> (u64, f64) {
        let c = key[extra].0;
        let mut line = key.to_vec();
        let (mut n, mut e) = (0, 0.0);
        for l in (0..self.margins[c].len() as u32).filter(|&l| l != key[extra].1) {
            line[extra] = (c, l);
            n += self.cells.get(&line).copied().unwrap_or(0);
            e += self.expected(&line);
        }
        (n, e)
    }

    /// What a cell's count would be given its parent's count: the parent's count times the
    /// cell's share of it, as the cell's own combination fits it (a sub-cell: the cell
    /// against every other value of its extra column, the parent counted along that line,
    /// where an incident with two tags is twice), or as the ratio of the two expectations
    /// (the same cell one level coarser).
    pub(super) fn given(&self, key: &[Item], parent: &[Item], n_parent: u64) -> f64 {
        let (n, whole) = match key.iter().position(|x| !parent.contains(x)) {
            Some(extra) if key.len() == parent.len() + 1 => {
                let c = key[extra].0;
                let mut line = key.to_vec();
                (0..self.margins[c].len() as u32).fold((0, 0.0), |(n, e), l| {
                    line[extra] = (c, l);
                    (n + self.cells.get(&line).copied().unwrap_or(0), e + self.expected(&line))
                })
            }
            _ => (n_parent, self.expected(parent)),
        };
        if whole > 0.0 { n as f64 * self.expected(key) / whole } else { 0.0 }
    }

    /// A two-way cell's count and expectation outside one of its three-way children: the
    /// rest of the child's line through the two-way cell, in the child's own combination.
    pub(super) fn outside(&self, key: &[Item], child: &[Item]) -> Option<(u64, f64)> {
        let extra = child.iter().position(|x| !key.contains(x))?;
        let (n, e) = self.rest_of_line(child, extra);
        (e > 0.0).then_some((n, e))
    }

    /// Fit every combination with its `held` cells given their own terms, refitting only
    /// the combinations whose held cells changed since the last call.
    pub(super) fn fit(&mut self, held: &[(Key, u64)], fitted: &mut HashMap<Vec<usize>, Vec<ipf::Held>>) {
        let mut by_combo: HashMap<Vec<usize>, Vec<ipf::Held>> = HashMap::new();
        for (key, n) in held {
            let combo: Vec<usize> = key.iter().map(|(c, _)| *c).collect();
            let cell = key.iter().map(|(_, l)| *l).collect();
            by_combo.entry(combo).or_default().push(ipf::Held { cell, count: *n as f64, weight: self.weight(key) });
        }
        for combo in self.combos.clone() {
            let held = by_combo.remove(&combo).unwrap_or_default();
            if self.models.contains_key(&combo) && fitted.get(&combo).is_some_and(|h| *h == held) {
                continue;
            }
            let observed = &self.observed[&combo];
            let measured =
                self.worked.as_ref().map_or(0, |w| combo.iter().filter(|c| w.margins.contains_key(c)).count());
            let model = if measured >= 2 {
                // A cell nobody worked holds nothing by design: its incidents (logged off
                // shift) leave the margins the fit must match.
                let list = self.every_cell(&combo);
                let mut observed = observed.clone();
                for (levels, _) in list.iter().filter(|(_, w)| *w <= 0.0) {
                    let key: Key = combo.iter().copied().zip(levels.iter().copied()).collect();
                    let n = self.cells.get(&key).copied().unwrap_or(0) as f64;
                    for (m, &l) in observed.iter_mut().zip(levels) {
                        m[l as usize] -= n;
                    }
                }
                ipf::fit(&observed, &ipf::Cells::Weighted(&list), &held)
            } else {
                ipf::fit(observed, &ipf::Cells::Every, &held)
            };
            self.models.insert(combo.clone(), model);
            fitted.insert(combo, held);
        }
    }

    /// Every cell of a combination with its weight.
    pub(super) fn every_cell(&self, combo: &[usize]) -> Vec<(Vec<u32>, f64)> {
        let mut out = vec![Vec::new()];
        for &c in combo {
            out = out
                .into_iter()
                .flat_map(|prefix: Vec<u32>| {
                    (0..self.margins[c].len() as u32).map(move |l| prefix.iter().copied().chain([l]).collect())
                })
                .collect();
        }
        out.into_iter()
            .map(|levels: Vec<u32>| {
                let key: Key = combo.iter().copied().zip(levels.iter().copied()).collect();
                let w = self.worked.as_ref().map_or(1.0, |w| w.worked(&key));
                (levels, w)
            })
            .collect()
    }
}

pub(super) fn sorted(items: &[Item]) -> Key {
    let mut k = items.to_vec();
    k.sort_unstable();
    k
}

/// The searched columns in memory, every level filled in: a row before a column's start,
/// or from a part that never met it, reads as `(none)`.
pub(super) struct Grid {
    columns: Vec<Filled>,
    tagsets: Vec<Vec<u32>>,
}

enum Filled {
    /// Not searched: nothing kept.
    Gone,
    One(Vec<u8>),
    Sets(Vec<u32>),
}

impl Filled {
    /// A column's levels for all `n` rows: `none` (or the set of no tags) before `start`
    /// and in the gaps.
    fn new(start: usize, levels: Levels, n: usize, none: u32, no_tags: u32) -> Filled {
        match levels {
            Levels::One(levels) => {
                debug_assert!(none < u32::from(MISSING), "a searched column has few levels");
                Filled::One(filled(levels, start, n, MISSING, none as u8))
            }
            Levels::Sets(sets) => Filled::Sets(filled(sets, start, n, MISSING_SET, no_tags)),
        }
    }
}

/// A column's ids for all `n` rows: `missing` read as `none`, and `none` before `start`.
fn filled<T: Copy + PartialEq>(mut ids: Vec<T>, start: usize, n: usize, missing: T, none: T) -> Vec<T> {
    ids.iter_mut().filter(|id| **id == missing).for_each(|id| *id = none);
    if start == 0 {
        return ids;
    }
    let mut all = Vec::with_capacity(n);
    all.resize(start, none);
    all.extend(ids);
    all
}

/// Count every cell of every combination of two or three columns, from the columns in memory.
pub(super) fn count(collect: Collect, exposure: Option<&HashMap<Vec<Value>, f64>>) -> Table {
    let Collect { n, columns, mut tagsets, .. } = collect;
    let (mut dims, mut dicts, mut stored) = (Vec::new(), Vec::new(), Vec::new());
    for Column { dim, dict, start, levels } in columns {
        dims.push(dim);
        dicts.push(dict);
        stored.push((start, levels));
    }
    let tag = dims.iter().position(|d| *d == Dim::Tag);
    let none: Vec<u32> = dicts.iter_mut().map(|d| d.as_mut().map_or(0, |d| d.id(&Value::none()))).collect();
    let no_tags = tag.map_or(0, |t| {
        tagsets.push(vec![none[t]]);
        tagsets.len() as u32 - 1
    });
    let widths: Vec<usize> = dicts.iter().map(|d| d.as_ref().map_or(0, |d| d.values.len())).collect();
    let margins: Vec<Vec<u64>> = stored
        .iter()
        .enumerate()
        .map(|(c, (start, levels))| {
            let mut margin = vec![0; widths[c]];
            if widths[c] == 0 {
                return margin;
            }
            margin[none[c] as usize] += *start as u64;
            match levels {
                Levels::One(levels) => {
                    for &l in levels {
                        margin[if l == MISSING { none[c] as usize } else { l as usize }] += 1;
                    }
                }
                Levels::Sets(sets) => {
                    for &s in sets {
                        for &l in &tagsets[if s == MISSING_SET { no_tags } else { s } as usize] {
                            margin[l as usize] += 1;
                        }
                    }
                }
            }
            margin
        })
        .collect();
    let mut usable: Vec<usize> = (0..dims.len())
        .filter(|&c| (2..=MAX_LEVELS).contains(&margins[c].iter().filter(|&&m| m > 0).count()))
        .collect();
    let filled = stored.into_iter().enumerate().map(|(c, (start, levels))| {
        if usable.contains(&c) { Filled::new(start, levels, n, none[c], no_tags) } else { Filled::Gone }
    });
    let grid = Grid { columns: filled.collect(), tagsets };
    let coarser = hierarchies(&grid, &margins, &mut usable, &widths);
    let worked = exposure.map(|e| Worked::new(e, &dims, &dicts));
    let mut table = Table {
        columns: dims,
        values: dicts.into_iter().map(|d| d.map_or(Vec::new(), |d| d.values)).collect(),
        margins,
        cells: HashMap::new(),
        coarser,
        combos: Vec::new(),
        observed: HashMap::new(),
        worked,
        models: HashMap::new(),
    };
    for combo in combinations(&usable) {
        if combo.iter().any(|&a| combo.iter().any(|&b| a != b && table.related(a, b))) {
            continue;
        }
        let observed = count_combo(&mut table.cells, &grid, &combo, &widths);
        table.observed.insert(combo.clone(), observed);
        table.combos.push(combo);
    }
    table
}

/// Every set of two or three of `columns`, in order.
fn combinations(columns: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for (i, &a) in columns.iter().enumerate() {
        for (j, &b) in columns.iter().enumerate().skip(i + 1) {
            out.push(vec![a, b]);
            for &c in &columns[j + 1..] {
                out.push(vec![a, b, c]);
            }
        }
    }
    out
}

/// The count of every cell of one combination, in a dense array (its cells are few):
/// the cell (x, y, z) at ((x × w_y) + y) × w_z + z. Each column is read straight down;
/// the tag column, at most one of them, adds a row once under each of its tags.
fn dense(grid: &Grid, combo: &[usize], widths: &[usize]) -> Vec<u64> {
    let mut strides = vec![1; combo.len()];
    for k in (0..combo.len() - 1).rev() {
        strides[k] = strides[k + 1] * widths[combo[k + 1]];
    }
    let mut dense = vec![0u64; strides[0] * widths[combo[0]]];
    let mut ones: Vec<(&[u8], usize)> = Vec::with_capacity(3);
    let mut sets = None;
    for (&c, &stride) in combo.iter().zip(&strides) {
        match &grid.columns[c] {
            Filled::One(levels) => ones.push((levels, stride)),
            Filled::Sets(s) => sets = Some((s.as_slice(), stride)),
            Filled::Gone => unreachable!("only searched columns are crossed"),
        }
    }
    let at = |l: u8, stride: usize| l as usize * stride;
    match (ones.as_slice(), sets) {
        ([(a, sa), (b, sb)], None) => {
            for (&x, &y) in a.iter().zip(*b) {
                dense[at(x, *sa) + at(y, *sb)] += 1;
            }
        }
        ([(a, sa), (b, sb), (c, sc)], None) => {
            for ((&x, &y), &z) in a.iter().zip(*b).zip(*c) {
                dense[at(x, *sa) + at(y, *sb) + at(z, *sc)] += 1;
            }
        }
        ([(a, sa)], Some((s, st))) => {
            for (&x, &set) in a.iter().zip(s) {
                let base = at(x, *sa);
                for &t in &grid.tagsets[set as usize] {
                    dense[base + t as usize * st] += 1;
                }
            }
        }
        ([(a, sa), (b, sb)], Some((s, st))) => {
            for ((&x, &y), &set) in a.iter().zip(*b).zip(s) {
                let base = at(x, *sa) + at(y, *sb);
                for &t in &grid.tagsets[set as usize] {
                    dense[base + t as usize * st] += 1;
                }
            }
        }
        _ => unreachable!("two or three columns, the tag column at most once"),
    }
    dense
}

/// Count one combination, then keep the cells seen.
/// Returns the combination's own margins: with the tag column, an incident with two tags is
/// in two cells, so its margins are not the columns' margins.
fn count_combo(cells: &mut HashMap<Key, u64>, grid: &Grid, combo: &[usize], widths: &[usize]) -> Vec<Vec<f64>> {
    let w: Vec<usize> = combo.iter().map(|&c| widths[c]).collect();
    let mut margins: Vec<Vec<f64>> = w.iter().map(|&width| vec![0.0; width]).collect();
    for (i, &n) in dense(grid, combo, widths).iter().enumerate().filter(|(_, n)| **n > 0) {
        let mut rest = i;
        let mut key: Key = vec![(0, 0); combo.len()];
        for (slot, (&c, &width)) in combo.iter().zip(&w).enumerate().rev() {
            key[slot] = (c, (rest % width) as u32);
            margins[slot][rest % width] += n as f64;
            rest /= width;
        }
        cells.insert(key, n);
    }
    margins
}

/// Pairs of columns where one decides the other (step 4 of the module comment). Columns
/// equivalent to an earlier one leave `usable`; for the rest, the finer column's map.
fn hierarchies(
    grid: &Grid,
    margins: &[Vec<u64>],
    usable: &mut Vec<usize>,
    widths: &[usize],
) -> HashMap<usize, (usize, Vec<u32>)> {
    let mut coarser = HashMap::new();
    // A column almost constant is "decided" by anything, which says nothing.
    let top = |c: usize| {
        let all = margins[c].iter().sum::<u64>().max(1) as f64;
        *margins[c].iter().max().unwrap_or(&0) as f64 / all
    };
    let mut dropped = Vec::new();
    for (i, &a) in usable.iter().enumerate() {
        for &b in &usable[i + 1..] {
            if dropped.contains(&a) || dropped.contains(&b) || top(a) >= HIERARCHY || top(b) >= HIERARCHY {
                continue;
            }
            let (wa, wb) = (widths[a], widths[b]);
            let pair = dense(grid, &[a, b], widths);
            let all = pair.iter().sum::<u64>() as f64;
            // Each value of `from` mapped to its most common partner; a hierarchy when
            // those partners hold at least HIERARCHY of the incidents.
            let decides = |from: usize, to: usize, at: &dyn Fn(usize, usize) -> u64| {
                let map: Vec<(u32, u64)> = (0..from)
                    .map(|x| (0..to).map(|y| (y as u32, at(x, y))).max_by_key(|(_, n)| *n).unwrap_or((0, 0)))
                    .collect();
                let held: u64 = map.iter().map(|(_, n)| n).sum();
                (held as f64 >= HIERARCHY * all).then(|| map.into_iter().map(|(y, _)| y).collect::<Vec<u32>>())
            };
            let a_to_b = decides(wa, wb, &|x, y| pair[x * wb + y]);
            let b_to_a = decides(wb, wa, &|y, x| pair[x * wb + y]);
            match (a_to_b, b_to_a) {
                (Some(_), Some(_)) => dropped.push(b),
                (Some(map), None) => drop(coarser.insert(a, (b, map))),
                (None, Some(map)) => drop(coarser.insert(b, (a, map))),
                (None, None) => {}
            }
        }
    }
    usable.retain(|c| !dropped.contains(c));
    coarser
}
