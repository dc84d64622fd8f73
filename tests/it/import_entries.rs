//! `care import customers --map COLUMN=KIND[:critical]`: a spreadsheet's column of what
//! matters (allergies) lands in the permanent record as entries, critical ones first on
//! the card; a re-run adds nothing; a column nobody mapped is kept as a field and named in
//! a warning.

use crate::common;

use common::TestBook;

const GUESTS: &str = "name,email,Allergies,club\nZoe Park,zoe@x.example,peanuts,gold\nAda Lovelace,,sesame,\n";

#[test]
fn imported_allergies_are_critical_preferences_first_on_the_card_and_a_re_run_adds_nothing() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace"]);
    book.ok(&["note", "ada", "--pref", "Likes the corner table"]);
    book.write("guests.csv", GUESTS);
    let plan = book.ok(&["import", "customers", "guests.csv", "--map", "allergies=pref:critical", "--dry-run"]);
    assert!(plan.contains("ada-lovelace,update,3,preferences (critical),,Allergies: sesame"), "{plan}");
    assert!(!book.read("customers/ada-lovelace.yaml").contains("sesame"), "a dry run writes nothing");

    let out = book.care(&["import", "customers", "guests.csv", "--map", "allergies=pref:critical"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("zoe-park,created,2") && out.stdout.contains("ada-lovelace,updated,3"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("column `club` is not a field care knows"), "{}", out.stderr);
    assert!(!out.stderr.contains("`allergies`"), "a mapped column is no warning: {}", out.stderr);
    let zoe = book.yaml("customers/zoe-park.yaml");
    assert_eq!(zoe["preferences"][0]["text"].as_str(), Some("Allergies: peanuts"));
    assert_eq!(zoe["preferences"][0]["critical"].as_bool(), Some(true));
    assert_eq!(zoe["club"].as_str(), Some("gold"), "the unmapped column is kept as a field");
    assert!(zoe.get("allergies").is_none(), "the mapped column is not a field too");

    let card = book.ok(&["show", "zoe", "--format", "table"]);
    let first = card.lines().find(|l| l.starts_with('!') || l.contains("Allergies") || l.contains("club"));
    assert!(first.is_some_and(|l| l.contains("Allergies: peanuts")), "the allergy leads the card:\n{card}");
    let ada = book.ok(&["show", "ada", "--format", "csv"]);
    assert!(ada.contains("Allergies: sesame"), "{ada}");

    let again = book.ok(&["import", "customers", "guests.csv", "--map", "allergies=pref:critical"]);
    assert!(again.contains("zoe-park,unchanged") && again.contains("ada-lovelace,unchanged"), "{again}");
    assert_eq!(book.read("customers/ada-lovelace.yaml").matches("Allergies: sesame").count(), 1);
    book.ok(&["check"]);
}

#[test]
fn a_bad_map_is_refused_before_anything_is_written() {
    let book = TestBook::new();
    book.write("guests.csv", GUESTS);
    for (map, code, says) in [
        ("allergies=hobby", 2, "unknown kind"),
        ("allergies=pref:urgent", 2, ":critical"),
        ("email=note", 2, "field of the record"),
        ("diet=pref", 1, "no such column"),
    ] {
        let out = book.fails(&["import", "customers", "guests.csv", "--map", map], code);
        assert!(out.stderr.contains(says), "{map}: {}", out.stderr);
    }
    assert!(!book.path("customers/zoe-park.yaml").exists());
}
