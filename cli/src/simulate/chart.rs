//! `docs/img/simulation.svg`: the total cost per policy at every traffic level, as grouped bars.

use super::{Level, Report};

const COLOURS: [&str; 4] = ["#2563eb", "#f59e0b", "#dc2626", "#6b7280"];

impl Report {
    /// The chart.
    pub fn svg(&self) -> String {
        let (w, h) = (760.0, 380.0);
        let (left, right, top, bottom) = (64.0, 20.0, 72.0, 70.0);
        let plot_w = w - left - right;
        let plot_h = h - top - bottom;
        let cost = |l: &Level, i: usize| self.costs.total(&l.outcomes[i].1);
        let max = self.levels.iter().flat_map(|l| (0..l.outcomes.len()).map(move |i| (l, i))).map(|(l, i)| cost(l, i));
        let max = max.max().unwrap_or(0).max(1) as f64;
        let step = nice_step(max / 5.0);
        let top_value = (max * 1.08 / step).ceil() * step;
        let y = |v: f64| top + plot_h - v / top_value * plot_h;
        let summary: Vec<String> = self
            .levels
            .iter()
            .map(|l| {
                let each: Vec<String> =
                    (0..l.outcomes.len()).map(|i| format!("{} {}", l.outcomes[i].0.label(), cost(l, i))).collect();
                format!("{}× traffic: {}.", l.scale, each.join(", "))
            })
            .collect();
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             aria-labelledby=\"t d\" font-family=\"system-ui, -apple-system, Segoe UI, sans-serif\" font-size=\"13\">\n\
             <title id=\"t\">Total cost per policy</title>\n\
             <desc id=\"d\">{days} days, seed {seed}. {summary}</desc>\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
             <text x=\"{left}\" y=\"26\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2937\">Total cost per policy, {days} days (seed {seed})</text>\n",
            days = self.days,
            seed = self.seed,
            summary = summary.join(" "),
        );
        for (j, l) in self.levels.iter().enumerate() {
            let x = left + 130.0 * j as f64;
            s.push_str(&format!(
                "<rect x=\"{x}\" y=\"40\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"51\" fill=\"#374151\">{}× traffic</text>\n",
                COLOURS[j % COLOURS.len()],
                x + 18.0,
                l.scale
            ));
        }
        let mut v = 0.0;
        while v <= top_value + 1e-9 {
            let yy = y(v);
            s.push_str(&format!(
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e7eb\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#6b7280\">{}</text>\n",
                w - right,
                left - 8.0,
                yy + 4.0,
                v as u64
            ));
            v += step;
        }
        let policies: Vec<_> =
            self.levels.first().map(|l| l.outcomes.iter().map(|(p, _)| *p).collect()).unwrap_or_default();
        let group = plot_w / policies.len().max(1) as f64;
        let bars = self.levels.len().max(1) as f64;
        let bar = (group * 0.8 / bars).min(40.0);
        for (i, p) in policies.iter().enumerate() {
            let cx = left + group * (i as f64 + 0.5);
            for (j, l) in self.levels.iter().enumerate() {
                let value = cost(l, i);
                let x = cx - bar * bars / 2.0 + j as f64 * bar;
                let yy = y(value as f64);
                s.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}, {}× traffic: {value}</title></rect>\n\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#111827\" font-size=\"10\">{value}</text>\n",
                    bar - 2.0,
                    (top + plot_h - yy).max(0.0),
                    COLOURS[j % COLOURS.len()],
                    p.label(),
                    l.scale,
                    x + bar / 2.0 - 1.0,
                    yy - 4.0
                ));
            }
            s.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f2937\"{}>{}</text>\n",
                top + plot_h + 22.0,
                if *p == super::Policy::Lastunit { " font-weight=\"700\"" } else { "" },
                p.short()
            ));
        }
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/>\n</svg>\n",
            w - right,
            top + plot_h,
            top + plot_h
        ));
        s
    }
}

/// 1, 2, 5, 10, 20, 50... at or above `x`.
fn nice_step(x: f64) -> f64 {
    let mut s = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if s * m >= x {
                return s * m;
            }
        }
        s *= 10.0;
    }
}
