//! Patterns: every combination of two or three dimensions whose count is significantly
//! above what its margins predict, so the operator no longer has to guess which
//! dimensions to cross in `trends` ("Wednesday × 15:00 × billy: 144 incidents where 14
//! were expected").
//!
//! How, and why each step:
//! 1. Incidents are read once (`collect::Collect`, folded on every core through the
//!    index) into a compact table of interned values, stored column by column at a byte
//!    per value (a million incidents in a few MiB); every combination is then counted from
//!    that table in memory, never by reading the book again. A column with too many values to search
//!    (an order id) keeps none of them.
//! 2. Each cell's count is tested (`report::stats`: Poisson upper tail) against its own
//!    combination's fit: independence, except that the cells found at `ipf::HOLD_Q` get
//!    their own term and the rest is refitted without them (`report::ipf`,
//!    quasi-independence), round after round until nothing new is found, so one strong
//!    pattern does not make its neighbours look significant. A three-way cell is also
//!    tested against what each two-way finding inside it predicts (that line's count times
//!    the cell's fitted share of it), keeping the less surprising: it is news only beyond
//!    the findings it lies in. Benjamini–Hochberg runs over every cell that can exist
//!    (values that occur; with `--focus`, only cells holding the focus): the findings are
//!    the cells with q ≤ `--q`.
//! 3. A cell is shown once, at its own granularity, and only a finding hides it: a
//!    three-way cell that a two-way finding inside it predicts (p above `p*`, the BH
//!    cut-off at `HOLD_Q`); a two-way cell that is ordinary outside a three-way finding
//!    shown inside it. A cell is hidden only by a finding at `HOLD_Q` or one at least as
//!    significant as itself, so whatever `--q` asks, what is shown at q ≤ 0.05 is the same.
//! 4. Dimensions that determine each other are a hierarchy, not a pattern: when each value
//!    of A maps to a single value of B in at least `HIERARCHY` of incidents, A and B are
//!    never crossed. If both directions hold (staff who always own their incidents) the
//!    later dimension is left out altogether; if only A → B (location → region), a cell on
//!    the finer A is dropped when the same cell on the coarser B predicts it, so a pattern
//!    is reported at one level.
//! 5. With the book's shifts (`model::exposure`), the baseline of the dimensions a rota
//!    measures (weekday, hour, staff, location) is exposure, not independence: a cell's
//!    weight in its combination's fit is how concentrated the hours worked are in it,
//!    (E_cell ÷ E) ÷ Π (E_value ÷ E) over its measured values, and the fit is the Poisson
//!    model with each value's own rate and that weight as offset. So a person who simply works most
//!    Wednesday afternoons, with incidents in proportion, is no pattern there, while a
//!    person failing three times as often at 15:00 still is. Every step above compares
//!    cells through these expectations. A cell where nobody worked on the rota (an
//!    incident logged off shift) keeps the independence baseline.

use std::collections::HashMap;

use crate::report::query::Query;
use crate::report::trends::{Dim, NONE, Value};
use crate::report::{ipf, stats};
use crate::rows::{Cell, Rows};

mod collect;
mod table;

pub use collect::Collect;
use table::{Key, Table, count, sorted};

/// Share of incidents for which A's value decides B's for A → B to count as a hierarchy.
pub const HIERARCHY: f64 = 0.97;
/// A dimension with more values than this (an id, free text) is not searched.
pub const MAX_LEVELS: usize = 48;

/// The dimensions searched, before the book's own extra fields.
pub fn builtin_dims() -> Vec<Dim> {
    vec![
        Dim::Weekday,
        Dim::Hour,
        Dim::Staff,
        Dim::Owner,
        Dim::Product,
        Dim::Location,
        Dim::Channel,
        Dim::Busyness,
        Dim::Tag,
    ]
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Options {
    pub query: Query,
    /// The false discovery rate (`--q`).
    pub q: f64,
    pub min_count: u64,
    /// Hours worked by weekday × hour × staff × location (`EXPOSURE_DIMS`, in that order),
    /// from the book's shifts: the baseline of those dimensions (step 5).
    pub exposure: Option<HashMap<Vec<Value>, f64>>,
    /// `--focus DIM=VALUE`: only cells holding every one of these values (step 6).
    pub focus: Vec<(Dim, String)>,
}

/// The dimensions a rota measures, in the order of `Options::exposure`'s keys.
pub fn exposure_dims() -> [Dim; 4] {
    [Dim::Weekday, Dim::Hour, Dim::Staff, Dim::Location]
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// (dimension, value) pairs, in the order dimensions are searched.
    pub items: Vec<(Dim, Value)>,
    pub count: u64,
    pub expected: f64,
    pub p: f64,
    pub q: f64,
}

impl Pattern {
    pub fn lift(&self) -> f64 {
        self.count as f64 / self.expected
    }
}

/// A cell found: its count, expectation, p and q.
#[derive(Debug, Clone, Copy)]
struct Found {
    n: u64,
    expected: f64,
    p: f64,
    q: f64,
}

/// Search the collected incidents.
pub fn find(collect: Collect, opts: &Options) -> crate::Result<Vec<Pattern>> {
    let mut table = count(collect, opts.exposure.as_ref());
    let focus = focus(&table, &opts.focus)?;
    let has_focus = |key: &Key| focus.iter().all(|f| key.contains(f));
    // The family: every cell that can exist (levels that occur) and holds the focus.
    let occurring = |c: usize| table.margins[c].iter().filter(|&&m| m > 0).count();
    let tests: usize = table
        .combos
        .iter()
        .filter(|combo| focus.iter().all(|(c, _)| combo.contains(c)))
        .map(|combo| {
            combo.iter().filter(|c| !focus.iter().any(|(f, _)| f == *c)).map(|&c| occurring(c)).product::<usize>()
        })
        .sum();
    let tested: Vec<(Key, u64)> = table
        .cells
        .iter()
        .filter(|(k, n)| **n >= opts.min_count.max(1) && has_focus(k))
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    let level = opts.q.max(ipf::HOLD_Q);
    // Step 2: score, hold out the findings, refit, until the findings are stable.
    let mut fitted = HashMap::new();
    let score = |held: &[(Key, u64)]| {
        table.fit(held, &mut fitted);
        let scored: Vec<(f64, f64)> = tested.iter().map(|(k, n)| table.surprise(k, *n, level)).collect();
        let ps: Vec<f64> = scored.iter().map(|s| s.1).collect();
        let qs = stats::bh(&ps, tests);
        scored.into_iter().zip(qs).map(|((e, p), q)| (e, p, q)).collect::<Vec<_>>()
    };
    let held = |scored: &Vec<(f64, f64, f64)>| {
        let mut held: Vec<(Key, u64)> =
            tested.iter().zip(scored).filter(|(_, s)| s.2 <= ipf::HOLD_Q).map(|((k, n), _)| (k.clone(), *n)).collect();
        held.sort();
        held
    };
    let scored = ipf::settle(score, held);
    let ps: Vec<f64> = scored.iter().map(|s| s.1).collect();
    let found: HashMap<Key, Found> = tested
        .iter()
        .zip(&scored)
        .filter(|(_, s)| s.2 <= level)
        .map(|((k, n), &(expected, p, q))| (k.clone(), Found { n: *n, expected, p, q }))
        .collect();
    // The bar for "explained" (step 3): the p a cell needs to be found at HOLD_Q, whatever
    // --q is (BH's threshold with R findings, α R ÷ m; not the largest p found, which is
    // astronomically small when every finding is).
    let bar = stats::bh_threshold(&ps, tests, ipf::HOLD_Q);
    let keep = granularity(&table, &found, bar);
    let mut patterns: Vec<Pattern> = keep
        .into_iter()
        .filter(|key| found[key].q <= opts.q)
        .map(|key| {
            let Found { n: count, expected, p, q } = found[&key];
            let items = key.iter().map(|(c, l)| (table.columns[*c].clone(), table.values[*c][*l as usize].clone()));
            Pattern { items: items.collect(), count, expected, p, q }
        })
        .collect();
    let z = |p: &Pattern| stats::z(p.count, p.expected);
    patterns.sort_by(|a, b| {
        let values = |p: &Pattern| p.items.iter().map(|(_, v)| v.clone()).collect::<Vec<Value>>();
        a.p.total_cmp(&b.p).then(z(b).total_cmp(&z(a))).then(b.count.cmp(&a.count)).then(values(a).cmp(&values(b)))
    });
    Ok(patterns)
}

/// `--focus DIM=VALUE`s as items of the table: an error names a dimension not searched or
/// a value no incident has.
fn focus(table: &Table, focus: &[(Dim, String)]) -> crate::Result<Key> {
    let mut items = Key::new();
    for (dim, want) in focus {
        let searched: Vec<&str> = table.combos.iter().flatten().map(|&c| table.columns[c].name()).collect();
        let Some(c) =
            table.columns.iter().position(|d| d == dim).filter(|c| table.combos.iter().any(|k| k.contains(c)))
        else {
            let mut names = searched;
            names.sort_unstable();
            names.dedup();
            return Err(crate::Error::Usage(format!(
                "--focus {}: that dimension is not searched in these incidents (one value throughout, too many values, or the same as another); searched: {}",
                dim.name(),
                names.join(", ")
            )));
        };
        let norm = |s: &str| {
            let s = s.trim().to_lowercase();
            match dim {
                Dim::Weekday => s.chars().take(3).collect(),
                Dim::Hour => s.strip_suffix(":00").map_or(s.clone(), str::to_string),
                _ => s,
            }
        };
        let level = (0..table.values[c].len())
            .find(|&l| table.margins[c][l] > 0 && norm(&table.values[c][l].label) == norm(want));
        let Some(l) = level else {
            let seen: Vec<&str> = table.values[c]
                .iter()
                .enumerate()
                .filter(|(l, _)| table.margins[c][*l] > 0)
                .map(|(_, v)| v.label.as_str())
                .collect();
            return Err(crate::Error::Usage(format!(
                "--focus {}={want}: no incident searched has that {}; it has: {}",
                dim.name(),
                dim.name(),
                seen.join(", ")
            )));
        };
        if items.iter().any(|(x, _)| *x == c) {
            return Err(crate::Error::Usage(format!("--focus {}: give each dimension once", dim.name())));
        }
        items.push((c, l as u32));
    }
    items.sort_unstable();
    Ok(items)
}

/// Steps 3 and 4 of the module comment: which findings to show, each once. Decisions
/// never depend on `--q`: a cell can be explained only by a finding at `HOLD_Q`, or by one
/// at least as significant as itself.
fn granularity(table: &Table, found: &HashMap<Key, Found>, bar: f64) -> Vec<Key> {
    let explained = |n: u64, expected: f64| stats::poisson_excess(n, expected) > bar;
    let may_explain = |by: &Key, of: &Key| found.get(by).is_some_and(|f| f.q <= found[of].q.max(ipf::HOLD_Q));
    let sub =
        |k: &Key, drop: usize| -> Key { k.iter().enumerate().filter(|(i, _)| *i != drop).map(|(_, x)| *x).collect() };
    // A three-way cell that a two-way finding inside it predicts.
    let threes: Vec<&Key> = found
        .keys()
        .filter(|k| k.len() == 3)
        .filter(|k| {
            !(0..3).any(|drop| {
                let parent = sub(k, drop);
                may_explain(&parent, k) && explained(found[*k].n, table.given(k, &parent, found[&parent].n))
            })
        })
        .collect();
    // A two-way cell that is nothing outside a three-way child shown.
    let twos = found.keys().filter(|k| k.len() == 2).filter(|k| {
        !threes.iter().any(|child| {
            k.iter().all(|x| child.contains(x))
                && may_explain(child, k)
                && table.outside(k, child).is_some_and(|(n, e)| explained(n, e))
        })
    });
    let shown: Vec<&Key> = threes.iter().copied().chain(twos).collect();
    // A cell on a finer level that the same cell on the coarser level, shown, predicts.
    shown
        .iter()
        .filter(|k| {
            !k.iter().any(|&(c, l)| {
                let Some((b, map)) = table.coarser.get(&c) else { return false };
                let coarse =
                    sorted(&k.iter().map(|&x| if x == (c, l) { (*b, map[l as usize]) } else { x }).collect::<Vec<_>>());
                shown.contains(&&coarse)
                    && may_explain(&coarse, k)
                    && explained(found[**k].n, table.given(k, &coarse, found[&coarse].n))
            })
        })
        .map(|k| (*k).clone())
        .collect()
}

/// How a value reads in a sentence: `Wednesday`, `15:00`, `billy`, `product wine`.
fn phrase(dim: &Dim, value: &Value) -> String {
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let v = value.label.as_str();
    match dim {
        _ if v == NONE => format!("no {}", dim.name()),
        Dim::Weekday => DAYS.iter().find(|d| d.starts_with(v)).map_or(v.to_string(), |d| d.to_string()),
        Dim::Hour if v.len() == 2 => format!("{v}:00"),
        Dim::Staff => v.to_string(),
        Dim::Busyness => format!("busyness {v} %"),
        other => format!("{} {v}", other.name()),
    }
}

/// "Wednesday × 15:00 × billy: 144 incidents where 14 were expected".
pub fn sentence(p: &Pattern) -> String {
    let cell: Vec<String> = p.items.iter().map(|(d, v)| phrase(d, v)).collect();
    let noun = if p.count == 1 { "incident" } else { "incidents" };
    let expected = format!("{:.0}", p.expected);
    let verb = if expected == "1" { "was" } else { "were" };
    format!("{}: {} {noun} where {expected} {verb} expected", cell.join(" × "), p.count)
}

/// The findings as rows: the pattern (dimension=value pairs), count, expected, lift, p
/// (`detail`, for programs), q, and the sentence.
pub fn rows(patterns: &[Pattern], detail: bool) -> Rows {
    let mut columns: Vec<String> = ["pattern", "count", "expected", "lift"].map(String::from).to_vec();
    if detail {
        columns.push("p".into());
    }
    columns.extend(["q", "sentence"].map(String::from));
    let mut rows = Rows { columns, rows: Vec::new() };
    for p in patterns {
        let pairs = p.items.iter().map(|(d, v)| format!("{}={}", d.name(), v.label)).collect();
        let mut row =
            vec![Cell::List(pairs), Cell::Int(p.count as i64), Cell::Ratio(p.expected), Cell::Ratio(p.lift())];
        if detail {
            row.push(Cell::Prob(p.p));
        }
        row.extend([Cell::Prob(p.q), Cell::Text(sentence(p))]);
        rows.rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Incident;
    use crate::report::trends::{self, Seen};
    use crate::sample::Rng;
    use crate::time::Clock;
    use chrono::DateTime;
    use collect::{Column, Levels};
    use std::collections::BTreeMap;
    use table::Item;

    fn clock() -> Clock {
        Clock::at("2026-12-01T12:00:00Z", "America/New_York")
    }

    /// An incident on 2026-11-16 (a Monday) + `day` days at `hour`, with extra fields.
    fn incident(day: u32, hour: u32, staff: &str, product: &str) -> Incident {
        let opened = format!("2026-11-{:02}T{hour:02}:10:00-05:00", 2 + day);
        Incident {
            staff: Some(staff.into()),
            product: Some(product.into()),
            ..Incident::new("x", "c", DateTime::parse_from_rfc3339(&opened).expect("time"))
        }
    }

    /// Random incidents over a week, hours 11–20, four staff, four products and a store
    /// that always lies in the same region (two per region); `planted` more with `plant`.
    fn book(n: usize, planted: usize, plant: impl Fn(&mut Rng) -> (Incident, &'static str)) -> Vec<(Incident, Extras)> {
        let mut rng = Rng::new(7);
        let staff = ["ann", "bob", "cy", "dee"];
        let products = ["soup", "fish", "wine", "cake"];
        let stores = [("north", "east"), ("south", "east"), ("west", "midwest"), ("lake", "midwest")];
        let mut all = Vec::new();
        for _ in 0..n {
            let i = incident(
                rng.below(7) as u32,
                11 + rng.below(10) as u32,
                rng.pick::<&str>(&staff),
                rng.pick::<&str>(&products),
            );
            let (store, region) = *rng.pick(&stores);
            all.push((
                i,
                BTreeMap::from([("store".to_string(), store.to_string()), ("region".to_string(), region.to_string())]),
            ));
        }
        for _ in 0..planted {
            let (i, store) = plant(&mut rng);
            let region = if matches!(store, "west" | "lake") { "midwest" } else { "east" };
            all.push((
                i,
                BTreeMap::from([("store".to_string(), store.to_string()), ("region".to_string(), region.to_string())]),
            ));
        }
        all
    }

    type Extras = BTreeMap<String, String>;

    fn search(data: &[(Incident, Extras)]) -> Vec<Vec<String>> {
        let opts = Options { query: Query::default(), q: 0.05, min_count: 5, exposure: None, focus: Vec::new() };
        // Two "cores", to exercise the merge.
        let (a, b) = data.split_at(data.len() / 2);
        let mut parts = [Collect::default(), Collect::default()];
        for (part, half) in parts.iter_mut().zip([a, b]) {
            for (incident, fields) in half {
                part.add(Seen { incident, fields: Some(fields) }, &opts, &clock());
            }
        }
        let [mut one, two] = parts;
        one.merge(two);
        find(one, &opts)
            .expect("no focus")
            .iter()
            .map(|p| p.items.iter().map(|(d, v)| format!("{}={}", d.name(), v.label)).collect())
            .collect()
    }

    #[test]
    fn noise_alone_is_not_a_pattern() {
        assert_eq!(search(&book(3000, 0, |_| unreachable!())), Vec::<Vec<String>>::new());
    }

    #[test]
    fn a_three_way_pattern_is_shown_once_at_its_own_granularity() {
        // Wednesday (day 2) at 15:00 with bob, any product and store.
        let found = search(&book(3000, 150, |rng| {
            let store = *rng.pick::<&str>(&["north", "south", "west", "lake"]);
            (incident(2, 15, "bob", rng.pick::<&str>(&["soup", "fish", "wine", "cake"])), store)
        }));
        assert_eq!(found, [["weekday=Wed", "hour=15", "staff=bob"]], "{found:?}");
    }

    #[test]
    fn a_two_way_pattern_is_not_repeated_as_its_three_way_cells() {
        // Fish goes wrong at 15:00, whoever is on duty.
        let found = search(&book(3000, 150, |rng| {
            let store = *rng.pick::<&str>(&["north", "south", "west", "lake"]);
            (incident(rng.below(7) as u32, 15, rng.pick::<&str>(&["ann", "bob", "cy", "dee"]), "fish"), store)
        }));
        assert_eq!(found.first().map(Vec::as_slice), Some(&["hour=15".to_string(), "product=fish".to_string()][..]));
        assert!(found.iter().all(|f| f.len() == 2), "{found:?}");
    }

    #[test]
    fn a_hierarchy_is_never_crossed_and_a_pattern_is_reported_at_one_level() {
        // Wine fails in the east (both of its stores alike), whoever serves it: region, not store.
        let found = search(&book(3000, 500, |rng| {
            let store = *rng.pick::<&str>(&["north", "south"]);
            let staff = rng.pick::<&str>(&["ann", "bob", "cy", "dee"]);
            (incident(rng.below(7) as u32, 11 + rng.below(10) as u32, staff, "wine"), store)
        }));
        assert!(
            found
                .iter()
                .all(|f| !(f.iter().any(|x| x.starts_with("store=")) && f.iter().any(|x| x.starts_with("region="))))
        );
        assert!(
            found.iter().any(|f| f.contains(&"product=wine".to_string()) && f.contains(&"region=east".to_string())),
            "{found:?}"
        );
        assert!(
            !found.iter().any(|f| f.contains(&"product=wine".to_string()) && f.iter().any(|x| x.starts_with("store="))),
            "{found:?}"
        );
    }

    /// `data` taken in `parts` runs of rows (as on that many cores), merged in order.
    fn collect(data: &[(Incident, Extras)], parts: usize) -> Collect {
        let opts = Options { query: Query::default(), q: 0.05, min_count: 5, exposure: None, focus: Vec::new() };
        let mut all = Collect::default();
        for chunk in data.chunks(data.len().div_ceil(parts)) {
            let mut part = Collect::default();
            for (incident, fields) in chunk {
                part.add(Seen { incident, fields: Some(fields) }, &opts, &clock());
            }
            all.merge(part);
        }
        all
    }

    type Counts = (BTreeMap<String, u64>, BTreeMap<Vec<String>, u64>);

    /// A counted table's margins and cells by dimension and value, whatever the ids.
    fn counts(collect: Collect) -> Counts {
        let table = count(collect, None);
        let name = |&(c, l): &Item| format!("{}={}", table.columns[c].name(), table.values[c][l as usize].label);
        let margins = (0..table.columns.len())
            .flat_map(|c| (0..table.margins[c].len()).map(move |l| (c, l as u32)))
            .filter(|&(c, l)| table.margins[c][l as usize] > 0)
            .map(|item| (name(&item), table.margins[item.0][item.1 as usize]))
            .collect();
        let cells = table.cells.iter().map(|(k, n)| (k.iter().map(name).collect(), *n)).collect();
        (margins, cells)
    }

    fn column<'a>(collect: &'a Collect, name: &str) -> &'a Column {
        collect.columns.iter().find(|c| c.dim.name() == name).expect("column")
    }

    #[test]
    fn a_field_first_met_midway_reads_none_before_without_storing_it() {
        let mut data = book(400, 0, |_| unreachable!());
        for (i, (_, fields)) in data.iter_mut().enumerate().skip(300) {
            fields.insert("zone".into(), ["a", "b"][i % 2].into());
        }
        let one = collect(&data, 1);
        let zone = column(&one, "zone");
        assert_eq!(zone.start, 300);
        assert!(matches!(&zone.levels, Levels::One(l) if l.len() == 100));
        let (margins, cells) = counts(one);
        assert_eq!(margins["zone=(none)"], 300);
        assert_eq!((margins["zone=a"], margins["zone=b"]), (50, 50));
        assert!(cells.keys().any(|k| k.contains(&"zone=(none)".to_string())));
        // The same as a field present and blank from the start, and through a merge of
        // parts that met it at different rows or not at all.
        let mut blank = data.clone();
        for (_, fields) in blank.iter_mut().take(300) {
            fields.insert("zone".into(), String::new());
        }
        let expected = counts(collect(&blank, 1));
        assert_eq!(counts(collect(&data, 1)), expected);
        assert_eq!(counts(collect(&data, 3)), expected);
        assert_eq!(counts(collect(&data, 7)), expected);
    }

    #[test]
    fn a_column_of_300_values_is_never_searched_and_does_not_hold_them() {
        let plain = book(3000, 150, |rng| {
            (incident(2, 15, "bob", rng.pick::<&str>(&["soup", "fish", "wine", "cake"])), "north")
        });
        let mut data = plain.clone();
        for (i, (_, fields)) in data.iter_mut().enumerate() {
            fields.insert("order".into(), format!("o{}", i % 300));
        }
        // On one core it overflows as it is read; on three, each part holds 200 values
        // and the merge overflows.
        for parts in [1, 3] {
            let all = collect(&data, parts);
            let order = column(&all, "order");
            assert!(order.dict.is_none());
            assert!(matches!(&order.levels, Levels::One(l) if l.capacity() == 0));
            let (margins, cells) = counts(all);
            assert!(margins.keys().chain(cells.keys().flatten()).all(|k| !k.starts_with("order=")));
            assert_eq!(counts(collect(&data, parts)).1, counts(collect(&plain, parts)).1);
        }
        let found = search(&data);
        assert!(found.contains(&vec!["weekday=Wed".into(), "hour=15".into(), "staff=bob".into()]), "{found:?}");
        assert_eq!(found, search(&plain));
    }

    #[test]
    fn parts_with_different_dictionaries_merge_to_the_counts_of_one() {
        let mut rng = Rng::new(11);
        let mut data =
            book(2000, 100, |rng| (incident(4, 12, "cy", rng.pick::<&str>(&["soup", "fish", "wine", "cake"])), "lake"));
        // Later rows first: every part meets the values in another order. Some tags, and a
        // field only the first rows have.
        data.reverse();
        for (i, (incident, fields)) in data.iter_mut().enumerate() {
            incident.tags =
                (0..rng.below(3)).map(|_| rng.pick::<&str>(&["cold", "late", "rude"]).to_string()).collect();
            if i < 500 {
                fields.insert("terrace".into(), rng.pick::<&str>(&["yes", "no"]).to_string());
            }
        }
        let one = counts(collect(&data, 1));
        assert_eq!(one.0["terrace=(none)"], 1600);
        assert!(one.1.keys().any(|k| k.iter().any(|x| x.starts_with("tag=late"))));
        for parts in [2, 3, 8] {
            assert_eq!(counts(collect(&data, parts)), one, "{parts} parts");
        }
        let mut halves = collect(&data[1000..], 1);
        halves.merge(collect(&data[..1000], 1));
        assert_eq!(counts(halves), one);
    }

    #[test]
    fn sentences_read_as_the_issue_asks() {
        let p = Pattern {
            items: vec![
                (
                    Dim::Weekday,
                    trends::values(
                        &Dim::Weekday,
                        Seen { incident: &incident(2, 15, "billy", "x"), fields: None },
                        &clock(),
                        60,
                    )[0]
                    .clone(),
                ),
                (
                    Dim::Hour,
                    trends::values(
                        &Dim::Hour,
                        Seen { incident: &incident(2, 15, "billy", "x"), fields: None },
                        &clock(),
                        60,
                    )[0]
                    .clone(),
                ),
                (
                    Dim::Staff,
                    trends::values(
                        &Dim::Staff,
                        Seen { incident: &incident(2, 15, "billy", "x"), fields: None },
                        &clock(),
                        60,
                    )[0]
                    .clone(),
                ),
            ],
            count: 223,
            expected: 24.2,
            p: 0.0,
            q: 0.0,
        };
        assert_eq!(sentence(&p), "Wednesday × 15:00 × billy: 223 incidents where 24 were expected");
    }
}
