//! `lastunit`: the operator's command-line tool.
//!
//! - `lastunit calibrate --sales FILE.csv [--min N] [--max N] [--now TIME]`: recommended safety
//!   buffers per SKU from past sales, with the reasoning.
//! - `lastunit simulate [--seed N] [--days N] [--out DIR]`: a seeded simulation of a shop under
//!   five ways of keeping channels in step, written as a markdown table and an SVG chart.
//!
//! No dependencies beyond the engine: arguments and CSV are read by hand.

mod calibrate;
mod simulate;

use std::collections::BTreeMap;
use std::process::ExitCode;

const USAGE: &str = "\
lastunit: buffers and availability for shops that sell the same stock in store and online

USAGE:
    lastunit calibrate --sales FILE.csv [--min N] [--max N] [--now TIME]
    lastunit simulate [--seed N] [--days N] [--scale X] [--out DIR]
    lastunit help

calibrate
    Reads past sales and recommends a safety buffer per SKU, with the reasoning: the SKU's
    velocity per channel (units a day, recent sales weigh more), the exposure window (shelf to
    register, plus the longest checkout hold, plus sync latency), the demand expected in that
    window, and the chance of an oversell with the recommended buffer (target 1%).

    --sales FILE   CSV with a header row and the columns sku,channel,quantity,time (any order;
                   other columns are ignored). One row per sale:
                       sku,channel,quantity,time
                       linen-shirt-m,store,1,2026-11-02T10:14:00Z
                       linen-shirt-m,web,2,2026-11-02T11:40:12Z
                   sku: the SKU id; channel: store, web, marketplace...; quantity: whole units
                   sold (> 0); time: RFC 3339 (2026-11-02T10:14:00Z or with an offset).
                   Blank lines and lines starting with # are skipped.
    --min N        never recommend fewer than N units (default 0)
    --max N        never recommend more than N units (default 10)
    --now TIME     judge velocity as of TIME (RFC 3339; default: the latest sale in the file)

simulate
    Simulates a shop (a store, a web store and a marketplace sharing one stock) under five
    policies (daily batch sync, hourly batch sync, 15-minute polling, push without buffers or
    holds, and lastunit: push with buffers and holds, driving the real engine) and reports per
    policy the orders, the oversells (orders cancelled because the unit was gone) and the lost
    online sales (online shoppers turned away while a unit sat on the shelf unsold until the
    next delivery). The same seed gives the same report.

    --seed N       random seed (default 1)
    --days N       days simulated (default 28)
    --scale X      multiply every SKU's demand by X (default 1; at 1 the report also shows
                   the same shop 3 and 10 times busier)
    --out DIR      writes DIR/SIMULATION.md and DIR/img/simulation.svg (default docs)
";

/// `--name value` and `--name=value` options after the command.
struct Options(BTreeMap<String, String>);

impl Options {
    fn parse(args: &[String], known: &[&str]) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument `{a}`"));
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                    (name.to_string(), v.clone())
                }
            };
            if !known.contains(&name.as_str()) {
                return Err(format!("unknown option --{name}"));
            }
            map.insert(name, value);
        }
        Ok(Options(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name} must be a whole number, not `{v}`")),
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let Some(command) = args.first() else {
        return Ok(USAGE.to_string());
    };
    let rest = &args[1..];
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(USAGE.to_string());
    }
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(USAGE.to_string()),
        "calibrate" => {
            let o = Options::parse(rest, &["sales", "min", "max", "now"])?;
            let path = o.get("sales").ok_or("calibrate needs --sales FILE.csv")?;
            let min: u32 = o.number("min", 0)?;
            let max: u32 = o.number("max", 10)?;
            if min > max {
                return Err(format!("--min {min} is above --max {max}"));
            }
            let now = match o.get("now") {
                None => None,
                Some(t) => {
                    Some(lastunit::Timestamp::parse(t).ok_or_else(|| format!("--now `{t}` is not an RFC 3339 time"))?)
                }
            };
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let sales = calibrate::parse_csv(&text).map_err(|e| format!("{path}: {e}"))?;
            let advice = calibrate::calibrate(&sales, min, max, now, &lastunit::buffer::BufferModel::default())?;
            Ok(calibrate::report(&advice))
        }
        "simulate" => {
            let o = Options::parse(rest, &["seed", "days", "out", "scale"])?;
            let seed: u64 = o.number("seed", 1)?;
            let scale: f64 = match o.get("scale") {
                None => 1.0,
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 100.0)
                    .ok_or_else(|| format!("--scale must be a number above 0 and at most 100, not `{v}`"))?,
            };
            let days: u32 = o.number("days", simulate::DEFAULT_DAYS)?;
            if !(1..=365).contains(&days) {
                return Err("--days must be from 1 to 365".into());
            }
            let out = o.get("out").unwrap_or("docs");
            let report = simulate::run(seed, days, scale);
            let busier: Vec<_> = if scale == 1.0 {
                simulate::BUSIER.iter().map(|s| simulate::run(seed, days, *s)).collect()
            } else {
                Vec::new()
            };
            let dir = std::path::Path::new(out);
            std::fs::create_dir_all(dir.join("img")).map_err(|e| format!("cannot create {out}/img: {e}"))?;
            let md = dir.join("SIMULATION.md");
            let svg = dir.join("img").join("simulation.svg");
            std::fs::write(&md, report.markdown(&busier)).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
            std::fs::write(&svg, report.svg()).map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
            let mut out = report.table();
            for b in &busier {
                out.push_str(&format!("\n{} times busier:\n{}", b.scale, b.table()));
            }
            Ok(format!("{out}\nWrote {} and {}\n", md.display(), svg.display()))
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lastunit: {e}\nRun `lastunit help` for usage.");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn reads_options_both_ways_and_refuses_unknown_ones() {
        let o = Options::parse(&args("--min 1 --max=4"), &["min", "max"]).unwrap();
        assert_eq!(o.number::<u32>("min", 0).unwrap(), 1);
        assert_eq!(o.number::<u32>("max", 0).unwrap(), 4);
        assert!(Options::parse(&args("--colour red"), &["min"]).is_err());
        assert!(Options::parse(&args("--min"), &["min"]).is_err());
        assert!(run(&args("calibrate")).is_err());
        assert!(run(&args("frobnicate")).is_err());
        assert!(run(&args("help")).unwrap().contains("sku,channel,quantity,time"));
    }

    #[test]
    fn calibrates_the_shipped_sample() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/sales.csv");
        let out = run(&args(&format!("calibrate --sales {path}"))).unwrap();
        assert!(out.contains("tee-black-m"), "{out}");
        assert!(out.contains("silk-scarf"), "{out}");
    }
}
