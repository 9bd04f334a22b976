//! `lastunit calibrate`: recommended buffers from a sales history (CSV).

use std::collections::BTreeMap;

use lastunit::buffer::{BufferAdvice, BufferModel};
use lastunit::velocity::Velocity;
use lastunit::Timestamp;

/// One row of the sales file.
#[derive(Clone, Debug, PartialEq)]
pub struct Sale {
    pub sku: String,
    pub channel: String,
    pub quantity: i64,
    pub time: Timestamp,
}

/// One SKU's recommendation and its reasoning.
#[derive(Clone, Debug)]
pub struct Advice {
    pub sku: String,
    /// Units a day per channel at `now` (decaying average).
    pub velocity: BTreeMap<String, f64>,
    /// Units sold in the file, and the days the file spans.
    pub units: i64,
    pub span_days: f64,
    pub advice: BufferAdvice,
    pub model: BufferModel,
    pub now: Timestamp,
}

/// Reads `sku,channel,quantity,time` rows (header first, columns in any order, other columns
/// ignored; blank lines and `#` comments skipped). Errors name the line.
pub fn parse_csv(text: &str) -> Result<Vec<Sale>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("the header row: {e}"))?.iter().map(str::to_ascii_lowercase).collect();
    if header.iter().all(String::is_empty) {
        return Err("the file is empty: expected a header row sku,channel,quantity,time".into());
    }
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("the header has no `{name}` column (expected sku,channel,quantity,time)"))
    };
    let (i_sku, i_channel, i_qty, i_time) = (col("sku")?, col("channel")?, col("quantity")?, col("time")?);
    let mut sales = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        let line_no = record.position().map_or(0, |p| p.line());
        let get = |i: usize, what: &str| {
            record.get(i).filter(|v| !v.is_empty()).ok_or_else(|| format!("line {line_no}: missing {what}"))
        };
        let sku = get(i_sku, "sku")?.to_string();
        lastunit::names::check_sku(&sku)
            .map_err(|_| format!("line {line_no}: `{sku}` is not a SKU id ([A-Za-z0-9._-]{{1,64}})"))?;
        let channel = get(i_channel, "channel")?.to_ascii_lowercase();
        lastunit::names::check_channel(&channel)
            .map_err(|_| format!("line {line_no}: `{channel}` is not a channel name ([a-z0-9_-]{{1,32}})"))?;
        let q = get(i_qty, "quantity")?;
        let quantity: i64 = q
            .parse()
            .ok()
            .filter(|q| (1..=1_000_000).contains(q))
            .ok_or_else(|| format!("line {line_no}: quantity `{q}` must be a whole number from 1 to 1000000"))?;
        let t = get(i_time, "time")?;
        let time = Timestamp::parse(t)
            .ok_or_else(|| format!("line {line_no}: time `{t}` is not RFC 3339 (e.g. 2026-11-02T10:14:00Z)"))?;
        sales.push(Sale { sku, channel, quantity, time });
    }
    if sales.is_empty() {
        return Err("no sales rows after the header".into());
    }
    Ok(sales)
}

/// Feeds each SKU's sales to the engine's velocity in time order and sizes its buffer.
pub fn calibrate(
    sales: &[Sale],
    min: u32,
    max: u32,
    now: Option<Timestamp>,
    model: &BufferModel,
) -> Result<Vec<Advice>, String> {
    let mut sorted: Vec<&Sale> = sales.iter().collect();
    sorted.sort_by_key(|s| s.time);
    let first = sorted.first().ok_or("no sales")?.time;
    let now = now.unwrap_or(sorted.last().ok_or("no sales")?.time);
    let mut per_sku: BTreeMap<&str, (BTreeMap<String, Velocity>, i64)> = BTreeMap::new();
    for s in sorted.iter().filter(|s| s.time <= now) {
        let e = per_sku.entry(&s.sku).or_default();
        e.0.entry(s.channel.clone()).or_default().record(s.quantity, s.time, now);
        e.1 += s.quantity;
    }
    if per_sku.is_empty() {
        return Err(format!("no sales at or before --now {now}"));
    }
    Ok(per_sku
        .into_iter()
        .map(|(sku, (v, units))| {
            let velocity: BTreeMap<String, f64> = v.iter().map(|(c, v)| (c.clone(), v.per_day(now))).collect();
            let total: f64 = velocity.values().sum();
            Advice {
                sku: sku.to_string(),
                velocity,
                units,
                span_days: (now.days_since(first)).max(1.0 / 24.0),
                advice: model.advise(total, min, max),
                model: *model,
                now,
            }
        })
        .collect())
}

fn r(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn minutes(ms: i64) -> String {
    if ms < 60_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min", ms / 60_000)
    }
}

/// The human report: one block per SKU.
pub fn report(advice: &[Advice]) -> String {
    let Some(a0) = advice.first() else { return "No SKUs.\n".into() };
    let m = &a0.model;
    let mut out = format!(
        "Recommended buffers as of {} (velocity: units a day, recent sales weigh more; exposure window {} = shelf to register {} + checkout hold {} + sync {}; target oversell chance {}%)\n\n",
        a0.now,
        minutes(m.shelf_to_register_ms + m.checkout_hold_ms + m.sync_latency_ms),
        minutes(m.shelf_to_register_ms),
        minutes(m.checkout_hold_ms),
        minutes(m.sync_latency_ms),
        r(m.target * 100.0)
    );
    out.push_str(&format!("{:<24} {:>6} {:>9} {:>9} {:>12}\n", "sku", "buffer", "per day", "demand/E", "oversell"));
    for a in advice {
        let total: f64 = a.velocity.values().sum();
        out.push_str(&format!(
            "{:<24} {:>6} {:>9} {:>9} {:>11}%\n",
            a.sku,
            a.advice.units,
            r(total),
            r(a.advice.expected_demand),
            format!("{:.2}", a.advice.oversell_chance * 100.0)
        ));
    }
    out.push('\n');
    for a in advice {
        let total: f64 = a.velocity.values().sum();
        let by: Vec<String> = a.velocity.iter().map(|(c, v)| format!("{c} {}", r(*v))).collect();
        let avg = a.units as f64 / a.span_days;
        out.push_str(&format!(
            "{}: buffer {} unit{}\n",
            a.sku,
            a.advice.units,
            if a.advice.units == 1 { "" } else { "s" }
        ));
        out.push_str(&format!(
            "  velocity {} a day ({}); {} units sold over {} days, a plain average of {} a day\n",
            r(total),
            by.join(", "),
            a.units,
            r(a.span_days),
            r(avg)
        ));
        out.push_str(&format!(
            "  expected demand in one {:.0}-minute exposure window: {}; chance that demand exceeds {} unit{}: {:.2}%",
            a.advice.exposure_minutes,
            r(a.advice.expected_demand),
            a.advice.units,
            if a.advice.units == 1 { "" } else { "s" },
            a.advice.oversell_chance * 100.0
        ));
        if a.advice.oversell_chance > a.model.target + 1e-12 {
            out.push_str(" (above target: capped by --max)");
        }
        out.push('\n');
        let json = format!("{{\"mode\":\"fixed\",\"units\":{}}}", a.advice.units);
        out.push_str(&format!("  set it: PUT /admin/skus/{} with \"buffer\": {json} (or {{\"mode\":\"auto\",...}} to follow velocity)\n\n", a.sku));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# a comment\nSKU,channel,quantity,time,note\n\
        a,store,1,2026-11-01T10:00:00Z,\"hello, world\"\n\
        a,web,2,2026-11-01T11:00:00+01:00,\n\n\
        b,store,1,2026-11-02T10:00:00Z,x\n";

    #[test]
    fn reads_the_csv() {
        let s = parse_csv(CSV).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].sku, "b", "a quoted comma stays inside its field");
        let bom = parse_csv("\u{feff}sku,channel,quantity,time\na,store,1,2026-11-01T10:00:00Z\n").unwrap();
        assert_eq!(bom[0].sku, "a", "a byte-order mark is not part of the first column's name");
        assert_eq!(
            s[1],
            Sale {
                sku: "a".into(),
                channel: "web".into(),
                quantity: 2,
                time: Timestamp::parse("2026-11-01T10:00:00Z").unwrap()
            }
        );
    }

    #[test]
    fn points_at_the_bad_line() {
        for (csv, needle) in [
            ("sku,channel,quantity\n", "time"),
            ("sku,channel,quantity,time\na,store,0,2026-11-01T10:00:00Z\n", "line 2: quantity"),
            ("sku,channel,quantity,time\na,store,1,yesterday\n", "line 2: time"),
            ("sku,channel,quantity,time\na b,store,1,2026-11-01T10:00:00Z\n", "line 2: `a b`"),
            ("sku,channel,quantity,time\n", "no sales"),
            ("", "empty"),
            ("\n# only a comment\n", "empty"),
            ("sku,channel,quantity,time\na,store\n", "line 2: missing quantity"),
            (
                "sku,channel,quantity,time\n\n# c\na,web,1,2026-11-01T10:00:00Z\nb,web,x,2026-11-01T10:00:00Z\n",
                "line 5: quantity",
            ),
        ] {
            let e = parse_csv(csv).unwrap_err();
            assert!(e.contains(needle), "{csv}: {e}");
        }
    }

    #[test]
    fn ten_a_day_gets_two_and_three_a_week_get_one() {
        let start = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let mut sales = Vec::new();
        for h in 0..(28 * 24) {
            let t = start.plus(h * lastunit::time::HOUR);
            if h % 12 == 0 {
                sales.push(Sale { sku: "fast".into(), channel: "store".into(), quantity: 3, time: t });
                sales.push(Sale { sku: "fast".into(), channel: "web".into(), quantity: 2, time: t });
            }
            if h % 56 == 0 {
                sales.push(Sale { sku: "slow".into(), channel: "web".into(), quantity: 1, time: t });
            }
        }
        let a = calibrate(&sales, 0, 10, None, &BufferModel::default()).unwrap();
        assert_eq!(a[0].sku, "fast");
        assert!((2..=3).contains(&a[0].advice.units), "{:?}", a[0].advice);
        assert!((a[0].velocity.values().sum::<f64>() - 10.0).abs() < 1.0);
        assert_eq!(a[1].advice.units, 1, "{:?}", a[1].advice);
        let capped = calibrate(&sales, 0, 1, None, &BufferModel::default()).unwrap();
        assert_eq!(capped[0].advice.units, 1);
        assert!(report(&capped).contains("capped by --max"));
    }
}
