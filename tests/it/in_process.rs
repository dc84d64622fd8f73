//! Commands run in-process, as a library: the command line parsed by the same `Cli`, the
//! book on disk, stdout a buffer and stderr and stdin through a captured `Ui`. This is what
//! lets a command be tested (or embedded) without spawning a process. Times are given with
//! `--at` rather than CARE_NOW: tests share one process, and its environment, here.

use care::cli::Cli;
use care::ui::Ui;
use clap::Parser;

/// What one in-process run produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn care(book: &std::path::Path, args: &[&str], stdin: &str) -> Run {
    let mut argv = vec!["care", "-C", book.to_str().expect("utf8 path"), "--as", "joan"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(&argv).expect("a valid command line");
    let (ui, err) = Ui::captured(stdin);
    let mut out = Vec::new();
    let code = match care::cmd::run(cli, &care::settings::Settings::default(), ui, &mut out) {
        Ok(()) => 0,
        Err(e) => {
            // main prints this line; here the test reads it from the error itself.
            return Run {
                code: e.exit_code(),
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: format!("{}error: {e}\n", err.text()),
            };
        }
    };
    Run { code, stdout: String::from_utf8_lossy(&out).into_owned(), stderr: err.text() }
}

fn new_book() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let root = dir.path().to_str().expect("utf8").to_string();
    let cli = Cli::try_parse_from(["care", "init", &root, "--timezone", "America/New_York"]).expect("init");
    let (ui, _) = Ui::captured("");
    care::cmd::run(cli, &care::settings::Settings::default(), ui, &mut Vec::new()).expect("init runs");
    let added = care(dir.path(), &["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"], "");
    assert_eq!(added.stdout, "ada-lovelace\n");
    dir
}

#[test]
fn note_writes_the_record_and_says_so_on_stderr() {
    let book = new_book();
    let run = care(
        book.path(),
        &["note", "ada", "--pref", "--critical", "Allergic to shellfish", "--at", "2026-11-22T15:40:00-05:00"],
        "",
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert_eq!(run.stderr, "Noted on ada-lovelace (preference, critical).\n");
    let record = std::fs::read_to_string(book.path().join("customers/ada-lovelace.yaml")).expect("record");
    assert!(record.contains("text: Allergic to shellfish") && record.contains("critical: true"), "{record}");
}

#[test]
fn recover_open_prints_the_id_alone_and_the_briefing_on_stderr() {
    let book = new_book();
    care(
        book.path(),
        &["note", "ada", "--pref", "--critical", "No calls before 11", "--at", "2026-11-20T10:00:00-05:00"],
        "",
    );
    let run = care(
        book.path(),
        &[
            "recover",
            "open",
            "ada",
            "--what",
            "Entrées mixed up",
            "--staff",
            "billy",
            "--at",
            "2026-11-22T19:42:00-05:00",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.stdout.trim();
    assert!(id.starts_with("20261122-") && id.len() == 15 && run.stdout.lines().count() == 1, "{:?}", run.stdout);
    assert!(run.stderr.contains("! No calls before 11"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("Still to do for {id}:")), "{}", run.stderr);
    assert!(run.stderr.contains("1. Apologize"), "{}", run.stderr);

    // A review before the apology is recorded, with a warning on stderr.
    let review =
        care(book.path(), &["recover", "review", id, "Did you plug it in?", "--at", "2026-11-22T19:45:00-05:00"], "");
    assert_eq!(review.code, 0);
    assert!(review.stderr.contains("warning:") && review.stderr.contains("apolog"), "{}", review.stderr);
}

#[test]
fn followup_due_lists_in_csv_and_exits_3_with_exit_code() {
    let book = new_book();
    let opened =
        care(book.path(), &["recover", "open", "ada", "--what", "Cold soup", "--at", "2026-11-22T19:42:00-05:00"], "");
    let id = opened.stdout.trim().to_string();
    let run = care(book.path(), &["--format", "csv", "followup", "due", "--at", "2026-11-22T20:10:00-05:00"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert!(lines.next().expect("header").starts_with("due,overdue_by,incident,customer,name,kind,owner"));
    let row = lines.next().expect("a row");
    assert!(
        row.starts_with(&format!("2026-11-22T20:02:00-05:00,8,{id},ada-lovelace,Ada Lovelace,progress,joan")),
        "{row}"
    );
    assert_eq!(run.stderr, "");
    let listed = care(
        book.path(),
        &["--format", "csv", "followup", "due", "--at", "2026-11-22T20:10:00-05:00", "--exit-code"],
        "",
    );
    assert_eq!(listed.code, 3);
    let nothing = care(
        book.path(),
        &["--format", "csv", "followup", "due", "--at", "2026-11-22T19:50:00-05:00", "--exit-code"],
        "",
    );
    assert_eq!((nothing.code, nothing.stdout.lines().count()), (0, 1));
}

#[test]
fn trends_counts_and_a_bad_filter_is_a_usage_error() {
    let book = new_book();
    for (staff, at) in [
        ("billy", "2026-11-18T15:10:00-05:00"),
        ("billy", "2026-11-11T15:20:00-05:00"),
        ("dale", "2026-11-12T09:00:00-05:00"),
    ] {
        let run = care(book.path(), &["recover", "open", "ada", "--what", "x", "--staff", staff, "--at", at], "");
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = care(book.path(), &["--format", "csv", "trends", "--by", "staff"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "staff,count,share\nbilly,2,0.6667\ndale,1,0.3333\n");
    let bad = care(book.path(), &["--format", "csv", "trends", "--by", "staff", "--where", "nosuchfield=1"], "");
    assert_eq!((bad.code, bad.stdout.as_str()), (2, ""));
    assert!(bad.stderr.contains("nosuchfield"), "{}", bad.stderr);
}

#[test]
fn show_reads_names_from_the_uis_stdin() {
    let book = new_book();
    care(book.path(), &["customer", "add", "Grace Hopper"], "");
    let run = care(book.path(), &["--format", "csv", "show", "-"], "ada\n# a comment\n\ngrace\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<&str> = run.stdout.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(ids, ["ada-lovelace", "grace-hopper"]);
}

/// `care -C BASE init DIR` makes BASE/DIR, and `care init DIR` makes DIR where it is
/// (CARE_BOOK is not on the command line): told apart from the parsed command line, not
/// from the process's own arguments, which in-process are the test runner's.
#[test]
fn init_inside_the_book_folder_given_with_dash_c() {
    let base = tempfile::TempDir::new().expect("temp dir");
    let root = base.path().to_str().expect("utf8");
    for argv in [["care", "-C", root, "init", "inner"], ["care", "init", "second", "-C", root]] {
        let cli = Cli::try_parse_from(argv).expect("init");
        assert!(cli.book_source.on_command_line);
        let (ui, _) = Ui::captured("");
        care::cmd::run(cli, &care::settings::Settings::default(), ui, &mut Vec::new()).expect("init runs");
    }
    assert!(base.path().join("inner/care.yaml").is_file() && base.path().join("second/care.yaml").is_file());
    let cli = Cli::try_parse_from(["care", "init", "x"]).expect("init");
    assert!(!cli.book_source.on_command_line);
}
