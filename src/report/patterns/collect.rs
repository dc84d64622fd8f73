//! Step 1 of the search: incidents read once into a compact table of interned values,
//! column by column at a byte per value, built on every core and merged, so that every
//! combination is then counted in memory without reading the book again.

use std::collections::HashMap;

use crate::report::query::IncidentView;
use crate::report::trends::{self, Dim, Seen, Value};
use crate::time::Clock;

use super::{Options, builtin_dims};

/// The most values a column holds: ids 0..WIDE, so a level fits in a byte. A column that
/// grows past it (an order id, free text) could never be searched (`MAX_LEVELS`), so it
/// lets its values go rather than hold one string per incident.
pub(super) const WIDE: usize = 255;
/// The level of a row whose part never met the column (merged in): it reads as `(none)`.
pub(super) const MISSING: u8 = u8::MAX;
/// The same in the tag column.
pub(super) const MISSING_SET: u32 = u32::MAX;

/// Interned values of one dimension. Ids go in the order values are first met, through
/// `merge` too: the search breaks exact ties by that order, and keeps to it.
#[derive(Debug, Clone, Default)]
pub(super) struct Dict {
    pub(super) ids: HashMap<Value, u32>,
    pub(super) values: Vec<Value>,
}

impl Dict {
    pub(super) fn id(&mut self, v: &Value) -> u32 {
        if let Some(&id) = self.ids.get(v) {
            return id;
        }
        let id = self.values.len() as u32;
        self.ids.insert(v.clone(), id);
        self.values.push(v.clone());
        id
    }

    /// `id`, or None for the value that would make the column too wide (`WIDE`).
    pub(super) fn bounded(&mut self, v: &Value) -> Option<u32> {
        (self.values.len() < WIDE || self.ids.contains_key(v)).then(|| self.id(v))
    }
}

/// One column of the collected incidents, column-major so a million rows cost a byte each.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub(super) dim: Dim,
    /// None once the column is too wide to search: its values and levels are let go.
    pub(super) dict: Option<Dict>,
    /// The row the column was first met at (an extra field): every row before reads as
    /// `(none)`, without a level stored for it.
    pub(super) start: usize,
    pub(super) levels: Levels,
}

#[derive(Debug, Clone)]
pub(super) enum Levels {
    /// One level per row.
    One(Vec<u8>),
    /// The tag column: per row, the id of its set of tags (`Collect::tagsets`), since an
    /// incident counts once under each of its tags.
    Sets(Vec<u32>),
}

impl Column {
    pub(super) fn new(dim: Dim, start: usize) -> Column {
        let levels = if dim == Dim::Tag { Levels::Sets(Vec::new()) } else { Levels::One(Vec::new()) };
        Column { dim, dict: Some(Dict::default()), start, levels }
    }

    pub(super) fn widen(&mut self) {
        self.dict = None;
        self.levels = match self.levels {
            Levels::One(_) => Levels::One(Vec::new()),
            Levels::Sets(_) => Levels::Sets(Vec::new()),
        };
    }

    /// `rows` more rows that read as `(none)` (a merged part that never met the column).
    pub(super) fn pad(&mut self, rows: usize) {
        match &mut self.levels {
            _ if self.dict.is_none() => {}
            Levels::One(l) => l.resize(l.len() + rows, MISSING),
            Levels::Sets(s) => s.resize(s.len() + rows, MISSING_SET),
        }
    }
}

/// Incidents as interned values, built on each core and merged: one column per dimension
/// (see `Column`), every column one level per row from its start on.
#[derive(Debug, Clone, Default)]
pub struct Collect {
    /// Rows taken.
    pub(super) n: usize,
    pub(super) columns: Vec<Column>,
    pub(super) tagsets: Vec<Vec<u32>>,
    pub(super) tagset_ids: HashMap<Vec<u32>, u32>,
}

impl Collect {
    /// Take one incident, if it passes the filters.
    pub fn add(&mut self, seen: Seen<'_>, opts: &Options, clock: &Clock) {
        let view = IncidentView { incident: seen.incident, extras: seen.fields, tz: clock.tz };
        if !opts.query.in_window(seen.incident.opened) || !opts.query.matches(&view) {
            return;
        }
        if self.columns.is_empty() {
            self.columns = builtin_dims().into_iter().map(|d| Column::new(d, 0)).collect();
        }
        for name in seen.fields.into_iter().flat_map(|f| f.keys()) {
            if !self.columns.iter().any(|c| matches!(&c.dim, Dim::Field(f) if f == name)) {
                self.columns.push(Column::new(Dim::Field(name.clone()), self.n));
            }
        }
        let Collect { columns, tagsets, tagset_ids, .. } = self;
        for column in columns.iter_mut() {
            let Some(dict) = &mut column.dict else { continue };
            let values = trends::values(&column.dim, seen, clock, 60);
            let stored = match &mut column.levels {
                Levels::One(levels) => dict.bounded(&values[0]).map(|id| levels.push(id as u8)),
                Levels::Sets(sets) => values
                    .iter()
                    .map(|v| dict.bounded(v))
                    .collect::<Option<Vec<u32>>>()
                    .map(|set| sets.push(tagset(tagsets, tagset_ids, set))),
            };
            if stored.is_none() {
                column.widen();
            }
        }
        self.n += 1;
    }

    /// Add another core's incidents, translating its ids into these column by column.
    pub fn merge(&mut self, other: Collect) {
        if self.columns.is_empty() {
            *self = other;
            return;
        }
        let before = self.n;
        let mut met = vec![false; self.columns.len()];
        for theirs in other.columns {
            let c = match self.columns.iter().position(|c| c.dim == theirs.dim) {
                Some(c) => {
                    met[c] = true;
                    self.columns[c].pad(theirs.start);
                    c
                }
                None => {
                    self.columns.push(Column::new(theirs.dim.clone(), before + theirs.start));
                    self.columns.len() - 1
                }
            };
            self.take(c, theirs, &other.tagsets);
        }
        for (c, _) in met.iter().enumerate().filter(|(_, met)| !**met) {
            self.columns[c].pad(other.n);
        }
        self.n += other.n;
    }

    /// Append another part's column to column `c`, its ids translated.
    fn take(&mut self, c: usize, theirs: Column, their_sets: &[Vec<u32>]) {
        let Collect { columns, tagsets, tagset_ids, .. } = self;
        let mine = &mut columns[c];
        let remap: Option<Vec<u32>> = match (&mut mine.dict, &theirs.dict) {
            (Some(dict), Some(d)) => d.values.iter().map(|v| dict.bounded(v)).collect(),
            _ => None,
        };
        let Some(remap) = remap else { return mine.widen() };
        match (&mut mine.levels, theirs.levels) {
            (Levels::One(levels), Levels::One(t)) => {
                levels.extend(t.into_iter().map(|l| if l == MISSING { l } else { remap[l as usize] as u8 }))
            }
            (Levels::Sets(sets), Levels::Sets(t)) => {
                let ids: Vec<u32> = their_sets
                    .iter()
                    .map(|s| tagset(tagsets, tagset_ids, s.iter().map(|&v| remap[v as usize]).collect()))
                    .collect();
                sets.extend(t.into_iter().map(|s| if s == MISSING_SET { s } else { ids[s as usize] }));
            }
            _ => unreachable!("a dimension is the tag column in every part or in none"),
        }
    }
}

/// The id of a set of tags.
pub(super) fn tagset(tagsets: &mut Vec<Vec<u32>>, ids: &mut HashMap<Vec<u32>, u32>, set: Vec<u32>) -> u32 {
    if let Some(&id) = ids.get(&set) {
        return id;
    }
    let id = tagsets.len() as u32;
    ids.insert(set.clone(), id);
    tagsets.push(set);
    id
}
