//! The `lastunit` binary as an operator runs it: its arguments, its exit status, what it prints
//! and what it writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lastunit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastunit")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/sales.csv").display().to_string()
}

/// A fresh, empty folder for one test's output.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn without_a_command_it_prints_its_usage_and_succeeds() {
    for args in [&[][..], &["help"], &["--help"]] {
        let o = lastunit(args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        let out = stdout(&o);
        assert!(out.contains("calibrate") && out.contains("simulate"), "{args:?}: {out}");
    }
    let o = lastunit(&["help", "calibrate"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("sku,channel,quantity,time"), "{}", stdout(&o));
}

#[test]
fn argument_errors_exit_with_status_2_and_say_what_is_wrong() {
    let sales = sample();
    for (args, needle) in [
        (vec!["frobnicate"], "frobnicate"),
        (vec!["calibrate"], "--sales"),
        (vec!["calibrate", "--sales", &sales, "--colour", "red"], "--colour"),
        (vec!["calibrate", "--sales"], "--sales"),
        (vec!["calibrate", "--sales", &sales, "--min", "many"], "--min"),
        (vec!["calibrate", "--sales", &sales, "--min", "5", "--max", "2"], "--min 5 is above --max 2"),
        (vec!["calibrate", "--sales", &sales, "--now", "yesterday"], "RFC 3339"),
        (vec!["calibrate", "--sales", "no/such/file.csv"], "cannot read no/such/file.csv"),
        (vec!["simulate", "--days", "0"], "--days"),
        (vec!["simulate", "--days", "366"], "--days"),
        (vec!["simulate", "--traffic", "0"], "above 0 and at most 100"),
        (vec!["simulate", "--traffic", "1,101"], "above 0 and at most 100"),
        (vec!["simulate", "--traffic", "1,,3"], "above 0 and at most 100"),
        (vec!["simulate", "--oversell-cost=-1"], "--oversell-cost"),
        (vec!["simulate", "--stockout-cost", "cheap"], "--stockout-cost"),
    ] {
        let o = lastunit(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?} printed a report: {}", stdout(&o));
    }
}

#[test]
fn a_bad_sales_file_names_the_line() {
    let dir = scratch("bad-sales");
    let file = dir.join("sales.csv");
    std::fs::write(&file, "sku,channel,quantity,time\na,store,1,2026-11-01T10:00:00Z\na,web,-1,2026-11-01T11:00:00Z\n")
        .unwrap();
    let o = lastunit(&["calibrate", "--sales", &file.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 3: quantity `-1`"), "{}", stderr(&o));
}

#[test]
fn calibrates_the_shipped_sample() {
    let sales = sample();
    let o = lastunit(&["calibrate", "--sales", &sales]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    // The README's promise: a T-shirt selling about 10 a day gets 2, a scarf selling about 2 a week 1.
    assert!(out.contains("tee-black-m: buffer 2 units"), "{out}");
    assert!(out.contains("silk-scarf: buffer 1 unit\n"), "{out}");
    assert!(out.contains("as of 2026-11-25T21:18:08Z"), "judged as of the latest sale: {out}");
    let capped = stdout(&lastunit(&["calibrate", "--sales", &sales, "--max", "1"]));
    assert!(capped.contains("tee-black-m: buffer 1 unit\n") && capped.contains("capped by --max"), "{capped}");
    let earlier = stdout(&lastunit(&["calibrate", "--sales", &sales, "--now=2026-11-10T00:00:00Z"]));
    assert!(earlier.contains("as of 2026-11-10T00:00:00Z"), "{earlier}");
}

#[test]
fn simulate_writes_the_report_and_the_chart() {
    let dir = scratch("simulate");
    let out = dir.display().to_string();
    let args = ["simulate", "--seed", "3", "--days", "2", "--traffic", "2,5", "--stockout-cost", "9", "--out", &out];
    let o = lastunit(&args);
    assert!(o.status.success(), "{o:?}");
    let md = std::fs::read_to_string(dir.join("SIMULATION.md")).expect("the report");
    let svg = std::fs::read_to_string(dir.join("img/simulation.svg")).expect("the chart");
    assert!(
        md.contains(
            "simulate --seed 3 --days 2 --traffic 2,5 --oversell-cost 25 --lost-sale-cost 5 --stockout-cost 9`"
        ),
        "the exact command, every flag: {md}"
    );
    assert!(md.contains("| policy | 2× traffic | 5× traffic |"), "{md}");
    assert!(md.contains("| lastunit (push + buffers + holds) |"), "{md}");
    assert!(md.contains("## 2× traffic") && md.contains("## 5× traffic") && !md.contains("## 1× traffic"), "{md}");
    assert!(md.contains("each store stockout 9"), "{md}");
    assert!(svg.starts_with("<svg") && svg.contains("2 days (seed 3)"), "{svg}");
    assert!(stdout(&o).contains("Total cost per policy") && stdout(&o).contains("Wrote "), "{}", stdout(&o));
}

/// The tables of the report, without the line saying where and when it ran.
fn tables(md: &str) -> String {
    md.lines().filter(|l| !l.starts_with("Generated by")).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_same_seed_gives_the_same_table() {
    let run = |name: &str, seed: &str| {
        let dir = scratch(name);
        let out = dir.display().to_string();
        let o = lastunit(&["simulate", "--seed", seed, "--days", "7", "--traffic", "1,3,10", "--out", &out]);
        assert!(o.status.success(), "{o:?}");
        let md = std::fs::read_to_string(dir.join("SIMULATION.md")).expect("the report");
        let svg = std::fs::read_to_string(dir.join("img/simulation.svg")).expect("the chart");
        (stdout(&o).replace(&out, "DIR"), tables(&md), svg)
    };
    let first = run("same-seed-a", "11");
    let again = run("same-seed-b", "11");
    assert_eq!(first, again, "seed 11 twice: the same tables, text and chart");
    assert!(first.0.contains("| lastunit (push + buffers + holds) |"), "{}", first.0);
    let other = run("other-seed", "12");
    assert_ne!(tables(&other.1), tables(&first.1), "another seed, another shop");
}
