//! Service recovery and follow-ups: the playbook's stories, end to end, with CARE_NOW.

use crate::common;

use common::{TestBook, csv_rows};

/// Run at a given moment of the story.
fn at(book: &TestBook, now: &str, args: &[&str]) -> common::Out {
    let out = book.cmd().env("CARE_NOW", now).args(args).output().expect("run");
    common::Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn ok_at(book: &TestBook, now: &str, args: &[&str]) -> common::Out {
    let out = at(book, now, args);
    assert_eq!(out.code, 0, "care {args:?} at {now}: {}", out.stderr);
    out
}

fn incident_file(id: &str) -> String {
    format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6])
}

/// Ada, with her allergy on file, and the dinner mix-up opened by Joan at 19:42.
fn dinner(book: &TestBook) -> String {
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100", "--value", "12000"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    let out = ok_at(
        book,
        "2026-11-22T19:42:00-05:00",
        &[
            "recover",
            "open",
            "ada",
            "--what",
            "Entrées mixed up",
            "--product",
            "entrees",
            "--staff",
            "billy",
            "--location",
            "downtown",
            "--busyness",
            "95",
            "--channel",
            "in-person",
            "--circumstances",
            "Anniversary dinner before a show",
            "--tag",
            "kitchen",
            "--tag",
            "wait",
        ],
    );
    let id = out.stdout.trim().to_string();
    assert_eq!(out.stdout, format!("{id}\n"), "only the id on stdout");
    assert!(id.len() == 15 && id.starts_with("20261122-"), "{id}");
    // The briefing comes on stderr, preferences first, then the steps still to do.
    let allergy = out.stderr.find("Allergic to shellfish").expect("briefing shows the allergy");
    let todo = out.stderr.find("Still to do").expect("steps listed");
    assert!(allergy < todo, "{}", out.stderr);
    assert!(out.stderr.contains("tell them the progress by today 20:02"), "{}", out.stderr);
    id
}

fn due(book: &TestBook, now: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let out = ok_at(book, now, &[&["followup", "due"], extra].concat());
    csv_rows(&out.stdout)
}

#[test]
fn story_1_the_dinner_mix_up() {
    let book = TestBook::new();
    let id = dinner(&book);
    let short = &id[9..];

    // The customer's file carries the misstep and the internal flag at once.
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["missteps"][0]["text"], "Entrées mixed up");
    assert_eq!(ada["missteps"][0]["incident"], id.as_str());
    assert_eq!(ada["flags"][0]["incident"], id.as_str());
    assert_eq!(ada["flags"][0]["until"], "2027-02-20");
    let incident = book.yaml(&incident_file(&id));
    assert_eq!(incident["owner"], "joan");
    assert_eq!(incident["busyness"], 95);
    assert_eq!(incident["followups"][0]["kind"], "progress");
    assert_eq!(incident["followups"][0]["due"], "2026-11-22T20:02:00-05:00");

    ok_at(&book, "2026-11-22T19:44:00-05:00", &["recover", "apologize", short, "Apologized at the table"]);
    ok_at(&book, "2026-11-22T19:47:00-05:00", &["recover", "review", short, "Ticket printed for table 12"]);

    // 20:03, nothing logged: the progress follow-up is overdue.
    let rows = due(&book, "2026-11-22T20:03:00-05:00", &[]);
    assert_eq!(
        rows[0],
        [
            "due",
            "overdue_by",
            "incident",
            "customer",
            "name",
            "kind",
            "owner",
            "contact",
            "remember",
            "what",
            "location"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1][..8],
        ["2026-11-22T20:02:00-05:00", "1", &id, "ada-lovelace", "Ada Lovelace", "progress", "joan", "'+1 555 0100"]
    );
    // (a phone number starting with + would be a formula to a spreadsheet: neutralised)
    assert_eq!(rows[1][8], "Allergic to shellfish");

    // Joan tells Ada how it is going: gone from the list, and the clock re-arms.
    let out = ok_at(
        &book,
        "2026-11-22T20:03:00-05:00",
        &["followup", "done", short, "--how", "in-person", "Kitchen is re-firing"],
    );
    assert!(out.stderr.contains("1m"), "a late follow-up says so: {}", out.stderr);
    assert_eq!(due(&book, "2026-11-22T20:04:00-05:00", &[]).len(), 1);
    let incident = book.yaml(&incident_file(&id));
    assert_eq!(incident["followups"][0]["missed_by"], 1);
    assert_eq!(incident["followups"][1]["due"], "2026-11-22T20:23:00-05:00");

    // Billy fixes it at 20:10, in time for the re-armed clock; dessert on the house; closed.
    ok_at(&book, "2026-11-22T20:10:00-05:00", &["recover", "fix", short, "Re-fired both entrées", "--as", "billy"]);
    ok_at(
        &book,
        "2026-11-22T20:12:00-05:00",
        &["recover", "extra", short, "--what", "Dessert and wine on the house", "--value", "24"],
    );
    ok_at(&book, "2026-11-22T21:30:00-05:00", &["recover", "close", short]);
    let incident = book.yaml(&incident_file(&id));
    assert_eq!(incident["recovery"]["fixed"]["by"], "billy");
    assert_eq!(incident["recovery"]["extra"]["value"], 24);
    assert_eq!(incident["followups"][1]["done"]["by"], "billy");
    assert!(incident["followups"][1]["missed_by"].is_null(), "fixed within the re-armed clock");
    assert_eq!(incident["followups"][0]["missed_by"], 1, "closing never erases a breach");

    // Tomorrow's cron run lists Joan's check-in.
    assert_eq!(due(&book, "2026-11-23T08:00:00-05:00", &[]).len(), 1);
    let rows = due(&book, "2026-11-23T20:15:00-05:00", &[]);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1][5].as_str(), rows[1][6].as_str(), rows[1][1].as_str()), ("check-in", "joan", "5"));
    ok_at(&book, "2026-11-23T20:15:00-05:00", &["followup", "done", short, "--kind", "check-in", "--how", "phone"]);

    // Three days after closing, the wrap-up note.
    assert_eq!(due(&book, "2026-11-25T21:00:00-05:00", &[]).len(), 1);
    let rows = due(&book, "2026-11-25T21:30:00-05:00", &[]);
    assert_eq!((rows[1][5].as_str(), rows[1][0].as_str()), ("wrap-up", "2026-11-25T21:30:00-05:00"));
    assert!(rows[1][9].contains("handwritten"));
}

#[test]
fn a_late_fix_closes_the_progress_follow_up_and_keeps_the_breach() {
    let book = TestBook::new();
    let id = dinner(&book);
    ok_at(&book, "2026-11-22T20:10:00-05:00", &["recover", "fix", &id, "--as", "billy"]);
    let incident = book.yaml(&incident_file(&id));
    assert_eq!(incident["followups"][0]["done"]["at"], "2026-11-22T20:10:00-05:00");
    assert_eq!(incident["followups"][0]["missed_by"], 8);
    assert_eq!(incident["followups"][1]["kind"], "check-in");
    assert_eq!(incident["followups"][1]["due"], "2026-11-23T20:10:00-05:00");
}

#[test]
fn story_2_questions_before_the_apology_warn_but_are_recorded() {
    let book = TestBook::new();
    book.add("Tom Novak");
    let id = ok_at(
        &book,
        "2026-11-22T10:00:00-05:00",
        &["recover", "open", "tom", "--what", "TV would not turn on", "--product", "tv"],
    )
    .stdout
    .trim()
    .to_string();
    let out = ok_at(&book, "2026-11-22T10:01:00-05:00", &["recover", "review", &id, "Did you plug it in?"]);
    assert!(out.stderr.contains("warning:") && out.stderr.contains("before the apology"), "{}", out.stderr);
    assert_eq!(book.yaml(&incident_file(&id))["recovery"]["reviewed"]["note"], "Did you plug it in?");
    let out = ok_at(&book, "2026-11-22T10:02:00-05:00", &["recover", "apologize", &id]);
    assert!(!out.stderr.contains("warning"));
    // A step recorded twice needs --amend.
    let out = at(&book, "2026-11-22T10:03:00-05:00", &["recover", "apologize", &id, "Again"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--amend"), "{}", out.stderr);
    ok_at(&book, "2026-11-22T10:03:00-05:00", &["recover", "apologize", &id, "I am so sorry", "--amend"]);
    assert_eq!(book.yaml(&incident_file(&id))["recovery"]["apologized"]["note"], "I am so sorry");
    // An extra above discretion warns, never refuses.
    let out =
        ok_at(&book, "2026-11-22T10:30:00-05:00", &["recover", "extra", &id, "--what", "A new TV", "--value", "2500"]);
    assert!(out.stderr.contains("above the discretion"), "{}", out.stderr);
}

#[test]
fn story_4_the_owner_keeps_the_check_in_when_it_fixes_it() {
    let book = TestBook::new();
    book.add("Grace Hopper");
    let id = ok_at(
        &book,
        "2026-11-22T09:00:00-05:00",
        &["recover", "open", "grace", "--what", "Laptop will not boot", "--staff", "ivan", "--as", "jeff"],
    )
    .stdout
    .trim()
    .to_string();
    ok_at(&book, "2026-11-22T09:05:00-05:00", &["recover", "apologize", &id, "--as", "jeff"]);
    ok_at(&book, "2026-11-22T09:15:00-05:00", &["recover", "fix", &id, "--as", "ivan"]);
    let rows = due(&book, "2026-11-23T09:30:00-05:00", &["--owner", "jeff"]);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1][5].as_str(), rows[1][6].as_str()), ("check-in", "jeff"));
    assert_eq!(due(&book, "2026-11-23T09:30:00-05:00", &["--owner", "ivan"]).len(), 1);
}

#[test]
fn follow_ups_keep_calendar_days_across_dst() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id =
        ok_at(&book, "2026-10-31T11:00:00-04:00", &["recover", "open", "ada", "--what", "x"]).stdout.trim().to_string();
    ok_at(&book, "2026-10-31T12:00:00-04:00", &["recover", "fix", &id]);
    ok_at(&book, "2026-10-31T22:00:00-04:00", &["recover", "close", &id]);
    let v = book.yaml(&incident_file(&id));
    assert_eq!(v["followups"][1]["due"], "2026-11-01T12:00:00-05:00", "noon the next day, 25 hours later");
    assert_eq!(v["followups"][2]["due"], "2026-11-03T22:00:00-05:00");
    // Minutes are elapsed time: 20 minutes after 01:50 EDT is 01:10 EST.
    let id =
        ok_at(&book, "2026-11-01T01:50:00-04:00", &["recover", "open", "ada", "--what", "y"]).stdout.trim().to_string();
    assert_eq!(book.yaml(&incident_file(&id))["followups"][0]["due"], "2026-11-01T01:10:00-05:00");
}

/// With --exit-code a script tells "something is overdue" (3) from "could not look" (1):
/// a missing book must never read as a list of follow-ups.
#[test]
fn exit_code_tells_overdue_items_from_a_missing_book() {
    let book = TestBook::new();
    dinner(&book);
    let overdue = ["followup", "due", "--overdue", "--exit-code"];
    let out = at(&book, "2026-11-22T20:30:00-05:00", &overdue);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stderr, "");
    assert_eq!(csv_rows(&out.stdout).len(), 2, "a header and the overdue progress follow-up");
    let out = at(&book, "2026-11-22T19:45:00-05:00", &overdue);
    assert_eq!(out.code, 0, "nothing overdue yet: {out:?}");
    assert_eq!(csv_rows(&out.stdout).len(), 1, "only the header");
    let missing = [&["-C", "no-such-book"][..], &overdue[..]].concat();
    let out = at(&book, "2026-11-22T20:30:00-05:00", &missing);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("not a care book"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    // A broken incident file: what could be read is listed, but the status says the job
    // was not done, so a script never takes a partial list for the whole.
    book.write("incidents/2026/11/broken.yaml", "id: [unclosed\n");
    let out = at(&book, "2026-11-22T20:30:00-05:00", &overdue);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("broken.yaml"), "{}", out.stderr);
    // lexicon check keeps the same scheme: 3 found, 1 could not check.
    book.write("draft.txt", "It's our policy.\n");
    assert_eq!(book.care(&["lexicon", "check", "draft.txt"]).code, 3);
    assert_eq!(book.care(&["lexicon", "check", "missing.txt"]).code, 1);
}

#[test]
fn followup_due_warns_ahead_filters_and_sets_the_exit_code() {
    let book = TestBook::new();
    let id = dinner(&book);
    let rows = due(&book, "2026-11-22T19:50:00-05:00", &["--within", "15m"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "-12", "due in 12 minutes");
    assert_eq!(due(&book, "2026-11-22T19:50:00-05:00", &[]).len(), 1);
    assert_eq!(due(&book, "2026-11-22T20:02:00-05:00", &[]).len(), 2, "due at the moment itself");
    assert_eq!(due(&book, "2026-11-22T20:02:00-05:00", &["--overdue"]).len(), 1, "not yet overdue");
    let table = ok_at(&book, "2026-11-22T19:50:00-05:00", &["followup", "due", "--within", "15m", "--format", "table"]);
    assert!(table.stdout.contains("due in 12m"), "{}", table.stdout);

    let out = at(&book, "2026-11-22T20:05:00-05:00", &["followup", "due", "--exit-code"]);
    assert_eq!(out.code, 3, "something listed");
    assert!(out.stdout.contains(&id));
    assert_eq!(out.stderr, "", "exit code alone, no error message");
    let out = at(&book, "2026-11-22T19:45:00-05:00", &["followup", "due", "--exit-code"]);
    assert_eq!(out.code, 0);

    // A custom follow-up of one's own.
    ok_at(
        &book,
        "2026-11-22T20:05:00-05:00",
        &["followup", "add", &id, "--due", "2026-11-24 10:00", "Call about the refund"],
    );
    let rows = due(&book, "2026-11-24T10:00:00-05:00", &[]);
    let custom = rows.iter().find(|r| r[5] == "custom").expect("custom listed");
    assert!(custom[9].starts_with("Call about the refund"));
    let out = at(&book, "2026-11-22T20:05:00-05:00", &["followup", "done", &id, "--kind", "wrap-up"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no pending wrap-up"), "{}", out.stderr);
}

#[test]
fn cron_runs_without_a_terminal_or_environment_from_another_folder() {
    let book = TestBook::new();
    dinner(&book);
    let root = book.root().to_str().expect("utf8").to_string();
    let cron = |now: &str| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("care"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("CARE_NOW", now)
            .current_dir("/")
            .args(["-C", &root, "followup", "due", "--overdue", "--format", "table"])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(cron("2026-11-22T19:50:00-05:00"), (String::new(), String::new()), "nothing to mail");
    let (stdout, stderr) = cron("2026-11-22T20:30:00-05:00");
    assert!(stdout.contains("Ada Lovelace") && stdout.contains("28m"), "{stdout}");
    assert_eq!(stderr, "");
}

#[test]
fn a_broken_incident_file_is_named_and_the_rest_listed() {
    let book = TestBook::new();
    let id = dinner(&book);
    book.write(
        "incidents/2026/11/20261121-broken.yaml",
        "id: 20261121-broken\ncustomer: ada-lovelace\nopened: not a time\n",
    );
    let out = at(&book, "2026-11-22T20:05:00-05:00", &["followup", "due"]);
    assert_eq!(out.code, 1);
    assert_eq!(csv_rows(&out.stdout).len(), 2);
    assert!(out.stdout.contains(&id));
    assert!(out.stderr.contains("incidents/2026/11/20261121-broken.yaml:3:"), "{}", out.stderr);
}

#[test]
fn incidents_are_named_by_prefix_or_random_part_and_ambiguity_lists_them() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(
        "incidents/2026/11/20261122-aaa111.yaml",
        "id: 20261122-aaa111\ncustomer: ada-lovelace\nopened: 2026-11-22T10:00:00-05:00\n",
    );
    book.write(
        "incidents/2026/11/20261122-aab222.yaml",
        "id: 20261122-aab222\ncustomer: ada-lovelace\nopened: 2026-11-22T11:00:00-05:00\n",
    );
    let out = book.fails(&["recover", "show", "aa"], 1);
    assert!(out.stderr.contains("20261122-aaa111") && out.stderr.contains("20261122-aab222"), "{}", out.stderr);
    book.fails(&["recover", "show", "20261122"], 1);
    assert!(book.ok(&["recover", "show", "aab"]).contains("20261122-aab222"));
    assert!(book.ok(&["recover", "show", "20261122-aaa"]).contains("20261122-aaa111"));
    book.fails(&["recover", "show", "zzz"], 1);
    book.fails(&["recover", "show", "../../etc"], 2);
}

#[test]
fn recover_list_and_show_and_the_customer_card() {
    let book = TestBook::new();
    let id = dinner(&book);
    book.add("Bob Adams");
    book.write("incidents/2026/10/20261001-old111.yaml", "id: 20261001-old111\ncustomer: bob-adams\nopened: 2026-10-01T12:00:00-04:00\nrecovery:\n  closed: {at: 2026-10-01T13:00:00-04:00, by: dale}\n");
    let rows = csv_rows(&book.ok(&["recover", "list"]));
    assert_eq!(rows[0][..4], ["id", "opened", "customer", "owner"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][0], "20261001-old111", "oldest first");
    assert_eq!(rows[2][10], "open");
    assert_eq!(csv_rows(&book.ok(&["recover", "list", "--open"])).len(), 2);
    assert_eq!(csv_rows(&book.ok(&["recover", "list", "--customer", "bob"])).len(), 2);
    assert_eq!(csv_rows(&book.ok(&["recover", "list", "--since", "2026-11-01"])).len(), 2);

    let shown = book.ok(&["recover", "show", &id, "--format", "table"]);
    assert!(shown.contains("busyness       95%") && shown.contains("Allergic to shellfish"), "{shown}");
    let json: serde_json::Value =
        serde_json::from_str(&book.ok(&["recover", "show", &id, "--format", "json"])).expect("json");
    assert_eq!(json[0]["incident"]["id"], id.as_str());
    assert_eq!(json[0]["customer"]["remember"][0]["text"], "Allergic to shellfish");

    let card = book.ok(&["show", "ada", "--format", "table"]);
    assert!(card.contains("Open incidents") && card.contains(&id), "{card}");
    assert!(card.contains("Pending follow-ups") && card.contains("progress due today 20:02"), "{card}");
}

/// `recover list` reads a million incidents back one by one in order of opening; ties in
/// the second go by id, from the index as from the files, with a broken file named.
#[test]
fn recover_list_is_oldest_first_then_by_id_from_the_index_and_from_the_files() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let incident = |id: &str, opened: &str| {
        format!(
            "id: {id}\ncustomer: ada-lovelace\nopened: {opened}\nregion: r-{id}\nrecovery:\n  fixed: {{at: {opened}, by: joan}}\n"
        )
    };
    // Written in neither order; the same instant three times in two offsets, and a second
    // before it in another month's folder.
    book.write("incidents/2026/11/20261122-ccc333.yaml", &incident("20261122-ccc333", "2026-11-22T10:00:00-05:00"));
    book.write("incidents/2026/11/20261122-aaa111.yaml", &incident("20261122-aaa111", "2026-11-22T10:00:00-05:00"));
    book.write("incidents/2026/11/20261122-bbb222.yaml", &incident("20261122-bbb222", "2026-11-22T16:00:00+01:00"));
    book.write("incidents/2026/12/20261122-zzz999.yaml", &incident("20261122-zzz999", "2026-11-22T09:59:59-05:00"));
    book.write("incidents/2026/11/20261121-broken.yaml", "id: 20261121-broken\ncustomer: ada-lovelace\nopened: soon\n");
    for (no_cache, run) in [("1", "no index"), ("", "building the index"), ("", "warm")] {
        let out = book.cmd().env("CARE_NO_CACHE", no_cache).args(["recover", "list"]).output().expect("run");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{run}: the broken file makes the list partial");
        assert!(stderr.contains("incidents/2026/11/20261121-broken.yaml:3:"), "{run}: {stderr}");
        let rows = csv_rows(&stdout);
        let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, ["20261122-zzz999", "20261122-aaa111", "20261122-bbb222", "20261122-ccc333"], "{run}");
        assert_eq!(rows[0].last().map(String::as_str), Some("region"), "{run}");
        assert!(
            rows[1..].iter().all(|r| r[9] == "fixed" && r.last() == Some(&format!("r-{}", r[0]))),
            "{run}: {rows:?}"
        );
    }
}

/// More incidents than one read transaction of `recover list`'s second pass takes
/// (4,096): the list is the same built, warm and without the index, whole and in order.
#[test]
fn recover_list_reads_back_batch_after_batch() {
    let dir = TestBook::bare();
    dir.ok(&["sample-book", "b", "--customers", "40", "--incidents", "4500", "--seed", "7"]);
    let list = |no_cache: &str| {
        let out = dir.cmd().env("CARE_NO_CACHE", no_cache).args(["-C", "b", "recover", "list"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let truth = list("1");
    let rows = csv_rows(&truth);
    assert_eq!(rows.len(), 4501);
    let opened = |r: &Vec<String>| chrono::DateTime::parse_from_rfc3339(&r[1]).expect("a time");
    assert!(rows[1..].windows(2).all(|w| opened(&w[0]) <= opened(&w[1])), "oldest first");
    assert_eq!(list(""), truth, "while building the index");
    assert_eq!(list(""), truth, "warm");
}

#[test]
fn eight_processes_recording_on_one_incident_lose_nothing() {
    let book = TestBook::new();
    let id = dinner(&book);
    let steps = ["apologize", "review", "fix", "extra", "close"];
    std::thread::scope(|s| {
        for w in 0..8 {
            let (book, id) = (&book, &id);
            s.spawn(move || {
                for n in 0..10 {
                    let text = format!("writer {w} call {n}");
                    let out = book
                        .process()
                        .args(["followup", "add", id, "--due", "2026-11-24 10:00", &text])
                        .output()
                        .expect("run");
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                    if n == 5 && w < steps.len() {
                        let mut args = vec!["recover", steps[w], id.as_str()];
                        if steps[w] == "extra" {
                            args.extend(["--what", "Dessert"]);
                        }
                        let out = book
                            .process()
                            .env("CARE_NOW", "2026-11-22T20:30:00-05:00")
                            .args(&args)
                            .output()
                            .expect("run");
                        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                    }
                }
            });
        }
    });
    let v = book.yaml(&incident_file(&id));
    let followups = v["followups"].as_sequence().expect("followups");
    assert_eq!(followups.iter().filter(|f| f["kind"] == "custom").count(), 80);
    assert_eq!(followups.iter().filter(|f| f["kind"] == "check-in").count(), 1);
    assert_eq!(followups.iter().filter(|f| f["kind"] == "wrap-up").count(), 1);
    for field in ["apologized", "reviewed", "fixed", "extra", "closed"] {
        assert!(!v["recovery"][field].is_null(), "{field} lost");
    }
}
