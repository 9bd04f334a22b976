//! `lastunit`: the operator's command-line tool.
//!
//! - `lastunit calibrate --sales FILE.csv [--min N] [--max N] [--now TIME]`: recommended safety
//!   buffers per SKU from past sales, with the reasoning.
//! - `lastunit simulate [--seed N] [--days N] [--traffic X,Y,..] [--oversell-cost C]
//!   [--lost-sale-cost C] [--stockout-cost C] [--out DIR]`: a seeded simulation of a shop under
//!   five ways of keeping channels in step and what each costs, written as markdown tables and an
//!   SVG chart.
//!
//! Arguments are read by clap, the sales file by the `csv` crate; every decision is the engine's.

mod calibrate;
mod simulate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use lastunit::Timestamp;
use simulate::Costs;

/// lastunit: buffers and availability for shops that sell the same stock in store and online
#[derive(Debug, Parser)]
#[command(
    name = "lastunit",
    version,
    after_help = "Run `lastunit help calibrate` or `lastunit help simulate` for the details."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Recommends a safety buffer per SKU from past sales, with the reasoning.
    ///
    /// Reads past sales and recommends a safety buffer per SKU, with the reasoning: the SKU's
    /// velocity per channel (units a day, recent sales weigh more), the exposure window (shelf to
    /// register, plus the longest checkout hold, plus sync latency), the demand expected in that
    /// window, and the chance of an oversell with the recommended buffer (target 1%).
    Calibrate(CalibrateArgs),
    /// Simulates a shop under five ways of keeping channels in step, and what each costs.
    ///
    /// Simulates a shop (a store, a web store and a marketplace sharing one stock) under five
    /// policies (daily batch sync, hourly batch sync, 15-minute polling, push without buffers or
    /// holds, and lastunit: push with buffers and holds, driving the real engine) at each traffic
    /// level, and reports per policy the orders, the oversells (orders cancelled because the unit
    /// was gone), the lost online sales (online shoppers turned away while a unit sat on the shelf
    /// unsold until the next delivery), the store stockouts (store shoppers who found the shelf
    /// empty while units went online since the last delivery) and their total cost. The same seed
    /// and flags give the same report.
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// CSV of past sales, one row per sale (columns sku,channel,quantity,time).
    ///
    /// CSV with a header row and the columns sku,channel,quantity,time (any order; other columns
    /// are ignored). One row per sale:
    ///     sku,channel,quantity,time
    ///     linen-shirt-m,store,1,2026-11-02T10:14:00Z
    ///     linen-shirt-m,web,2,2026-11-02T11:40:12Z
    /// sku: the SKU id; channel: store, web, marketplace...; quantity: whole units sold (> 0);
    /// time: RFC 3339 (2026-11-02T10:14:00Z or with an offset). Blank lines and lines starting
    /// with # are skipped.
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    sales: PathBuf,
    /// Never recommend fewer than N units.
    #[arg(long, value_name = "N", default_value_t = 0)]
    min: u32,
    /// Never recommend more than N units.
    #[arg(long, value_name = "N", default_value_t = 10)]
    max: u32,
    /// Judge velocity as of TIME (RFC 3339; default: the latest sale in the file).
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    now: Option<Timestamp>,
}

#[derive(Debug, clap::Args)]
struct SimulateArgs {
    /// Random seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Days simulated (1 to 365).
    #[arg(long, value_name = "N", default_value_t = simulate::DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    days: u32,
    /// Traffic levels: multiples of the shop's demand, comma-separated (each above 0, at most 100).
    #[arg(long, value_name = "X,Y,..", value_delimiter = ',', default_values_t = simulate::DEFAULT_TRAFFIC,
          value_parser = scale)]
    traffic: Vec<f64>,
    /// Cost of one oversell: a cancelled order (refund, apology, the marketplace's penalty).
    #[arg(long, value_name = "C", default_value_t = Costs::default().oversell)]
    oversell_cost: u32,
    /// Cost of one lost online sale: one item's margin.
    #[arg(long, value_name = "C", default_value_t = Costs::default().lost_sale)]
    lost_sale_cost: u32,
    /// Cost of one store stockout: the store shopper's visit (their basket, their coming back).
    #[arg(long, value_name = "C", default_value_t = Costs::default().store_stockout)]
    stockout_cost: u32,
    /// Writes DIR/SIMULATION.md and DIR/img/simulation.svg.
    #[arg(long, value_name = "DIR", default_value = "docs")]
    out: PathBuf,
}

fn rfc3339(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s).ok_or_else(|| format!("`{s}` is not an RFC 3339 time (e.g. 2026-11-02T10:14:00Z)"))
}

fn scale(s: &str) -> Result<f64, String> {
    s.parse()
        .ok()
        .filter(|x: &f64| *x > 0.0 && *x <= 100.0)
        .ok_or_else(|| "must be a number above 0 and at most 100".into())
}

fn calibrate(a: &CalibrateArgs) -> Result<String, String> {
    if a.min > a.max {
        return Err(format!("--min {} is above --max {}", a.min, a.max));
    }
    let path = a.sales.display();
    let text = std::fs::read_to_string(&a.sales).map_err(|e| format!("cannot read {path}: {e}"))?;
    let sales = calibrate::parse_csv(&text).map_err(|e| format!("{path}: {e}"))?;
    let advice = calibrate::calibrate(&sales, a.min, a.max, a.now, &lastunit::buffer::BufferModel::default())?;
    Ok(calibrate::report(&advice))
}

fn simulate(a: &SimulateArgs) -> Result<String, String> {
    let costs = Costs { oversell: a.oversell_cost, lost_sale: a.lost_sale_cost, store_stockout: a.stockout_cost };
    let report = simulate::run(a.seed, a.days, &a.traffic, costs);
    let dir: &Path = &a.out;
    std::fs::create_dir_all(dir.join("img")).map_err(|e| format!("cannot create {}/img: {e}", dir.display()))?;
    let md = dir.join("SIMULATION.md");
    let svg = dir.join("img").join("simulation.svg");
    let markdown = report.markdown(&provenance());
    std::fs::write(&md, markdown).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    std::fs::write(&svg, report.svg()).map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    Ok(format!("{}\nWrote {} and {}\n", report.text(), md.display(), svg.display()))
}

/// Where and when the report was made, for the reader (the figures do not depend on it): the
/// processor and core count when the system says, and the date.
fn provenance() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| {
        let model = c.lines().find_map(|l| l.strip_prefix("model name")?.split(':').nth(1).map(str::trim))?.to_string();
        Some(format!("{model}, {} cores", c.lines().filter(|l| l.starts_with("processor")).count()))
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let date = Timestamp(now).to_string();
    let date = date.split('T').next().unwrap_or(&date).to_string();
    format!(
        "{}, {} {}, on {date}",
        cpu.unwrap_or_else(|| "unknown machine".into()),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn main() -> ExitCode {
    // Argument errors are clap's: a message, the usage line, exit status 2.
    let cli = Cli::parse();
    let result = match &cli.command {
        None => {
            let _ = Cli::command().print_long_help();
            return ExitCode::SUCCESS;
        }
        Some(Command::Calibrate(a)) => calibrate(a),
        Some(Command::Simulate(a)) => simulate(a),
    };
    match result {
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

    #[test]
    fn the_arguments_are_consistent() {
        Cli::command().debug_assert();
    }
}
