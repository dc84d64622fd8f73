//! A deterministic sample book: N customers and M incidents over a year, with realistic
//! variety and one planted pattern (story 3: failures cluster at 15:00–16:00 on Wednesdays
//! when Billy is on duty). Tests and the benchmark use it; the same seed always gives the
//! same book. Pure: records in, no files (`cmd/sample_book.rs` writes them).

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};

use crate::model::customer::{Contact, Customer, Entry};
use crate::model::incident::{Done, Followup, Incident, Recovery, Step};
use crate::model::{config, id, recovery};
use crate::time::{Clock, Stamp};
use crate::yaml::{self, Value};

/// SplitMix64: small, fast, and good enough to make varied sample data from a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST: [&str; 24] = [
    "Ada",
    "Alan",
    "Grace",
    "Katherine",
    "Charles",
    "Mary",
    "Hiroshi",
    "Priya",
    "Rosa",
    "Samuel",
    "Marcus",
    "Beatrice",
    "Tom",
    "Ines",
    "Omar",
    "Lena",
    "Kwame",
    "Sofia",
    "Ivan",
    "Mei",
    "Diego",
    "Fatima",
    "Noah",
    "Yuki",
];
const LAST: [&str; 20] = [
    "Lovelace", "Turing", "Hopper", "Johnson", "Babbage", "Shelley", "Tanaka", "Raman", "Delgado", "Okafor", "Novak",
    "Kowalski", "Haddad", "Berg", "Mensah", "Rossi", "Petrov", "Chen", "Alvarez", "Sato",
];
const PREFERENCES: [(&str, bool); 10] = [
    ("Allergic to shellfish", true),
    ("No phone calls before 11 am", true),
    ("Nut allergy: no nuts anywhere near the plate", true),
    ("Uses a wheelchair: table near the door", true),
    ("Likes the corner table", false),
    ("Prefers sparkling water", false),
    ("Texts rather than calls", false),
    ("Vegetarian", false),
    ("Likes to chat with the chef", false),
    ("Quiet table, away from the bar", false),
];
const ROLES: [&str; 6] = [
    "Drummer in a local band",
    "Plans weddings at the Hudson venue",
    "Runs the bookshop next door",
    "Hosts the monthly book club dinner",
    "Brings clients for business lunches",
    "Teaches at the music school",
];
pub const STAFF: [&str; 6] = ["joan", "billy", "dale", "jeff", "maria", "ivan"];
const PRODUCTS: [&str; 8] = ["entrees", "desserts", "drinks", "reservations", "takeout", "billing", "wine", "starters"];
const LOCATIONS: [&str; 3] = ["downtown", "uptown", "airport"];
const CHANNELS: [&str; 4] = ["in-person", "phone", "email", "web"];
const TAGS: [&str; 6] = ["kitchen", "wait", "billing", "noise", "booking", "temperature"];
const SUMMARIES: [&str; 8] = [
    "Order mixed up",
    "Long wait for the table",
    "Dish came out cold",
    "Charged twice",
    "Booking was lost",
    "Wrong wine served",
    "Takeout order incomplete",
    "Dessert forgotten",
];

/// The sample customers: varied names, preferences (some critical), roles and values.
pub fn customers(n: usize, seed: u64, clock: &Clock) -> Vec<Customer> {
    let mut rng = Rng::new(seed);
    let at = clock.now();
    (0..n)
        .map(|i| {
            let name = format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST));
            let since =
                NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default() + Duration::days(rng.below(6000) as i64);
            let entry = |text: &str, critical: bool| Entry {
                text: text.to_string(),
                at: Some(at),
                by: "joan".into(),
                incident: None,
                critical,
                retired: None,
            };
            let preferences = (0..rng.below(3))
                .map(|_| {
                    let (text, critical) = *rng.pick(&PREFERENCES);
                    entry(text, critical)
                })
                .collect();
            let roles = if rng.chance(40) { vec![entry(rng.pick::<&str>(&ROLES), false)] } else { vec![] };
            Customer {
                id: format!("{}-{i}", id::slug(&name)),
                contact: Contact {
                    email: Some(format!("{}{i}@example.com", id::slug(&name).replace('-', "."))),
                    phone: Some(format!("+1 555 {:04}", rng.below(10_000))),
                },
                name,
                since: Some(since),
                lifetime_value: Some((rng.below(400) * 100) as f64),
                roles,
                goals: vec![],
                preferences,
                notes: vec![],
                missteps: vec![],
                flags: vec![],
                visits: vec![],
                reminders: vec![],
                folded: None,
            }
        })
        .collect()
}

/// Add to each customer a misstep naming each of their incidents, as `recover open` does.
pub fn link_missteps<'a>(customers: &mut [Customer], incidents: impl Iterator<Item = &'a Incident>) {
    let at: std::collections::HashMap<String, usize> =
        customers.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
    for incident in incidents {
        if let Some(&i) = at.get(&incident.customer) {
            customers[i].missteps.push(Entry {
                text: incident.summary.clone().unwrap_or_default(),
                at: Some(incident.opened),
                by: incident.owner.clone().unwrap_or_default(),
                incident: Some(incident.id.clone()),
                critical: false,
                retired: None,
            });
        }
    }
}

/// Add `n` visits spread over the customers (some come often, most now and then) across
/// the last two years, each customer's in time order, as `care visit` would have written
/// them. A seed of its own, so a book without visits is byte-for-byte what it always was.
pub fn add_visits(customers: &mut [Customer], n: usize, seed: u64, clock: &Clock) {
    if customers.is_empty() {
        return;
    }
    let mut rng = Rng::new(seed ^ 0x0715_1750);
    let first_day = clock.today() - Duration::days(730);
    for _ in 0..n {
        // A skew towards regulars: half the visits go to the first tenth of the customers.
        let pool = if rng.chance(50) { customers.len().div_ceil(10) } else { customers.len() };
        let c = rng.below(pool as u64) as usize;
        let day = first_day + Duration::days(rng.below(730) as i64);
        let minute = 11 * 60 + rng.below(11 * 60) as u32;
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN);
        let party = 1 + rng.below(6) as u32;
        customers[c].visits.push(crate::model::visit::Visit {
            at: clock.local(day.and_time(time)),
            by: rng.pick(&STAFF).to_string(),
            spend: Some((party as u64 * (20 + rng.below(60))) as f64),
            party: Some(party),
            location: Some(rng.pick(&LOCATIONS).to_string()),
            staff: None,
            note: None,
        });
    }
    for c in customers.iter_mut() {
        c.visits.sort_by_key(|v| v.at);
    }
}

/// A sample incident and its region, a field the tool does not know (for `--where`).
#[derive(Debug, Clone)]
pub struct SampleIncident {
    pub incident: Incident,
    pub region: &'static str,
}

/// The share of sample incidents, in percent, that are story 3's pattern by default.
pub const PLANTED: u64 = 8;

/// `m` incidents over the year before the clock's today, for `customers`; about one in
/// twelve is the planted pattern (Wednesday, 15:00–16:00, Billy on duty).
pub fn incidents(m: usize, customer_ids: &[String], seed: u64, clock: &Clock) -> Vec<SampleIncident> {
    incidents_planted(m, customer_ids, seed, clock, PLANTED)
}

/// The same with `planted` % of the incidents in the pattern: 0 makes a book with no
/// pattern at all, for checking that `care patterns` then finds (almost) nothing. The
/// default share draws exactly as before, so existing sample books stay byte-identical.
pub fn incidents_planted(
    m: usize,
    customer_ids: &[String],
    seed: u64,
    clock: &Clock,
    planted: u64,
) -> Vec<SampleIncident> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let policy = config::Followup::default();
    let first_day = clock.today() - Duration::days(365);
    let mut taken = std::collections::HashSet::new();
    (0..m)
        .map(|_| {
            let planted = rng.chance(planted);
            let mut day = first_day + Duration::days(rng.below(365) as i64);
            let (staff, minute) = if planted {
                // Move to that week's Wednesday, in the 15:00 hour.
                let back = i64::from(day.weekday().num_days_from_monday()) - 2;
                day -= Duration::days(back);
                if day >= clock.today() {
                    day -= Duration::days(7);
                }
                ("billy", 15 * 60 + rng.below(60) as u32)
            } else {
                (*rng.pick(&STAFF), 11 * 60 + rng.below(11 * 60) as u32)
            };
            let time = NaiveTime::from_num_seconds_from_midnight_opt(minute * 60, 0).unwrap_or_default();
            let opened = clock.local(day.and_time(time));
            let mut incident = Incident {
                id: String::new(),
                customer: rng.pick(customer_ids).clone(),
                opened,
                recorded: Some(opened + Duration::minutes(10)),
                staff: Some(staff.to_string()),
                owner: Some(rng.pick(&STAFF).to_string()),
                product: Some(rng.pick(&PRODUCTS).to_string()),
                location: Some(rng.pick(&LOCATIONS).to_string()),
                channel: Some(rng.pick(&CHANNELS).to_string()),
                busyness: Some(30 + rng.below(71) as u32),
                summary: Some(rng.pick(&SUMMARIES).to_string()),
                circumstances: rng.chance(50).then(|| "Celebrating a birthday".to_string()),
                tags: (0..rng.below(3)).map(|_| rng.pick(&TAGS).to_string()).collect(),
                recovery: Recovery::default(),
                followups: vec![recovery::first_progress(opened, &policy, clock)],
            };
            incident.tags.dedup();
            loop {
                incident.id = id::incident_id(day, rng.next_u64());
                if taken.insert(incident.id.clone()) {
                    break;
                }
            }
            recover(&mut incident, &mut rng, &policy, clock);
            SampleIncident { incident, region: if rng.chance(50) { "east" } else { "midwest" } }
        })
        .collect()
}

/// Most sample incidents are recovered and closed, some late; a few are still open.
fn recover(i: &mut Incident, rng: &mut Rng, policy: &config::Followup, clock: &Clock) {
    let owner = i.owner.clone().unwrap_or_default();
    let step = |at: Stamp, by: &str| Step { at, by: by.to_string(), note: None, what: None, value: None };
    let apologized = i.opened + Duration::minutes(1 + rng.below(5) as i64);
    i.recovery.apologized = Some(step(apologized, &owner));
    i.recovery.reviewed = Some(step(apologized + Duration::minutes(2), &owner));
    if rng.chance(5) && clock.now() - i.opened < Duration::days(30) {
        return; // still open
    }
    let fixed = i.opened + Duration::minutes(5 + rng.below(30) as i64);
    i.recovery.fixed = Some(step(fixed, i.staff.as_deref().unwrap_or("")));
    let done = |at: Stamp| Done { at, by: owner.clone(), how: Some("in-person".into()), note: None };
    let progress = &mut i.followups[0];
    progress.done = Some(done(fixed));
    progress.missed_by = Some((fixed - progress.due).num_minutes()).filter(|&m| m > 0);
    let mut extra = step(fixed + Duration::minutes(2), &owner);
    extra.what = Some("Dessert on the house".into());
    extra.value = Some((5 + rng.below(40)) as f64);
    i.recovery.extra = Some(extra);
    let closed = fixed + Duration::minutes(30 + rng.below(120) as i64);
    i.recovery.closed = Some(step(closed, &owner));
    for (kind, due) in [
        (recovery::CHECK_IN, clock.add(fixed, policy.check_in)),
        (recovery::WRAP_UP, clock.add(closed, policy.wrap_up)),
    ] {
        let late = rng.chance(10).then(|| 30 + rng.below(600) as i64);
        let at = due + Duration::minutes(late.unwrap_or(0)) - Duration::minutes(10);
        let finished = at <= clock.now();
        i.followups.push(Followup {
            kind: kind.to_string(),
            due,
            how: (kind == recovery::WRAP_UP).then(|| "handwritten".to_string()),
            text: None,
            done: finished.then(|| done(at)),
            missed_by: if finished { late.map(|m| m - 10).filter(|&m| m > 0) } else { None },
        });
    }
}

/// A record as people and other tools write it, in the flow style docs/format.md shows:
/// the top level a block mapping, each recovery step and each list entry one
/// `{at: …, by: …}` line, lists of words `[a, b]`. The benchmark's flow-style book is
/// written this way, so that reading it is measured as well as reading the tool's own
/// block style.
pub fn flow_style(record: &Value) -> String {
    let Value::Mapping(top) = record else { return format!("{}\n", flow(None, record)) };
    let mut out = String::new();
    for (name, value) in top {
        let key = flow(None, name);
        match value {
            Value::Mapping(m) if !m.is_empty() && m.values().all(Value::is_mapping) => {
                out.push_str(&format!("{key}:\n"));
                for (k, v) in m {
                    out.push_str(&format!("  {}: {}\n", flow(None, k), flow(Some(k), v)));
                }
            }
            Value::Sequence(items) if items.iter().any(Value::is_mapping) => {
                out.push_str(&format!("{key}:\n"));
                for item in items {
                    out.push_str(&format!("- {}\n", flow(Some(name), item)));
                }
            }
            _ => out.push_str(&format!("{key}: {}\n", flow(Some(name), value))),
        }
    }
    out
}

/// A value in flow style, spelled by the tool's own flow writer (which quotes whatever a
/// YAML reader could misread); `key` is the field it is the value of.
fn flow(key: Option<&Value>, value: &Value) -> String {
    let written = match key.and_then(Value::as_str) {
        Some(key) => yaml::flow_field(key, value),
        None => yaml::flow(value),
    };
    written.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::at("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    #[test]
    fn the_same_seed_gives_the_same_book() {
        let c = clock();
        let a = customers(50, 7, &c);
        let b = customers(50, 7, &c);
        assert_eq!(a.iter().map(|c| &c.id).collect::<Vec<_>>(), b.iter().map(|c| &c.id).collect::<Vec<_>>());
        let ids: Vec<String> = a.iter().map(|c| c.id.clone()).collect();
        let x = incidents(200, &ids, 7, &c);
        let y = incidents(200, &ids, 7, &c);
        assert_eq!(
            x.iter().map(|s| &s.incident.id).collect::<Vec<_>>(),
            y.iter().map(|s| &s.incident.id).collect::<Vec<_>>()
        );
        assert!(x.iter().all(|s| id::check_incident_id(&s.incident.id).is_ok()));
        let unique: std::collections::HashSet<_> = a.iter().map(|c| &c.id).collect();
        assert_eq!(unique.len(), 50);
    }

    #[test]
    fn the_pattern_is_planted_on_wednesday_afternoons() {
        let c = clock();
        let found = incidents(1000, &["a".to_string()], 1, &c);
        let planted = found
            .iter()
            .filter(|s| {
                let local = s.incident.opened.with_timezone(&c.tz);
                s.incident.staff.as_deref() == Some("billy")
                    && local.weekday() == chrono::Weekday::Wed
                    && chrono::Timelike::hour(&local) == 15
            })
            .count();
        assert!((50..130).contains(&planted), "{planted}");
    }

    #[test]
    fn flow_style_reads_back_as_the_same_record() {
        let c = clock();
        let ids = vec!["ada-park".to_string()];
        for s in incidents(200, &ids, 3, &c) {
            let text = flow_style(&yaml::to_value(&s.incident).expect("value"));
            assert!(text.contains("- {kind: "), "{text}");
            let back: Incident = yaml::parse(std::path::Path::new("f.yaml"), &text).expect("reads");
            assert_eq!(back, s.incident, "{text}");
        }
        let odd = yaml::to_value(&serde_json::json!({
            "id": "x", "tags": ["a, b", "c]", "yes", "#x", "a: b", "line\nbreak", ""],
            "recovery": {"apologized": {"at": "2026-11-22T15:35:00-05:00", "by": "joan", "note": "{not: flow}"}},
        }))
        .expect("value");
        let text = flow_style(&odd);
        assert!(text.contains("  apologized: {at: 2026-11-22T15:35:00-05:00, by: joan, note: "), "{text}");
        let back: Value = yaml::parse(std::path::Path::new("f.yaml"), &text).expect("reads");
        assert_eq!(back, odd, "{text}");
    }
}
