//! The report's words and tables: `docs/SIMULATION.md` and what `lastunit simulate` prints.

use super::shop::{SIZES, STYLES};
use super::{lastunit_buffer, Level, Policy, Report};

/// `1`, `2.5`: a traffic multiple as a flag takes it.
fn multiple(scale: f64) -> String {
    format!("{scale}")
}

fn rate(per_day: f64) -> String {
    if per_day >= 1.0 {
        format!("{per_day}/day")
    } else {
        format!("{:.0}/week", per_day * 7.0)
    }
}

impl Report {
    /// The command that produces this report.
    pub fn command(&self) -> String {
        let traffic: Vec<String> = self.levels.iter().map(|l| multiple(l.scale)).collect();
        format!(
            "cargo run --release -p lastunit-cli -- simulate --seed {} --days {} --traffic {} --oversell-cost {} \
             --lost-sale-cost {} --stockout-cost {}",
            self.seed,
            self.days,
            traffic.join(","),
            self.costs.oversell,
            self.costs.lost_sale,
            self.costs.store_stockout
        )
    }

    /// The cheapest policies at `level` (more than one on a tie).
    pub fn cheapest(&self, level: &Level) -> Vec<Policy> {
        let best = level.outcomes.iter().map(|(_, o)| self.costs.total(o)).min().unwrap_or(0);
        level.outcomes.iter().filter(|(_, o)| self.costs.total(o) == best).map(|(p, _)| *p).collect()
    }

    /// Total cost per policy (rows) at every traffic level (columns); the cheapest in bold.
    pub fn cost_table(&self) -> String {
        let mut t = String::from("| policy |");
        let mut rule = String::from("| --- |");
        for l in &self.levels {
            t.push_str(&format!(" {}× traffic |", multiple(l.scale)));
            rule.push_str(" ---: |");
        }
        t.push('\n');
        t.push_str(&rule);
        t.push('\n');
        let policies: Vec<Policy> =
            self.levels.first().map(|l| l.outcomes.iter().map(|(p, _)| *p).collect()).unwrap_or_default();
        for (i, p) in policies.iter().enumerate() {
            t.push_str(&format!("| {} |", p.label()));
            for l in &self.levels {
                let cost = self.costs.total(&l.outcomes[i].1);
                if self.cheapest(l).contains(p) {
                    t.push_str(&format!(" **{cost}** |"));
                } else {
                    t.push_str(&format!(" {cost} |"));
                }
            }
            t.push('\n');
        }
        t
    }

    /// Everything counted at one traffic level.
    pub fn table(&self, level: &Level) -> String {
        let mut t = String::from(
            "| policy | store sales | online orders | oversells (cancelled) | oversell rate | lost online sales | store stockouts | total cost |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (p, o) in &level.outcomes {
            let rate = if o.online_orders > 0 { 100.0 * o.oversells as f64 / o.online_orders as f64 } else { 0.0 };
            t.push_str(&format!(
                "| {} | {} | {} | {} | {:.1}% | {} | {} | {} |\n",
                p.label(),
                o.store_sales,
                o.online_orders,
                o.oversells,
                rate,
                o.lost_online,
                o.store_stockouts,
                self.costs.total(o)
            ));
        }
        t
    }

    /// One sentence per traffic level: which policy is cheapest, and how lastunit compares.
    pub fn verdicts(&self) -> String {
        let mut out = String::new();
        let mut why = String::new();
        let outcome =
            |l: &Level, p: Policy| l.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o.clone()).unwrap_or_default();
        for l in &self.levels {
            let best = self.cheapest(l);
            let cost = |p: Policy| l.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| self.costs.total(o));
            let lastunit = cost(Policy::Lastunit).unwrap_or(0);
            let names: Vec<&str> = best.iter().map(|p| p.label()).collect();
            if best == [Policy::Lastunit] {
                let runner_up = l
                    .outcomes
                    .iter()
                    .filter(|(p, _)| *p != Policy::Lastunit)
                    .min_by_key(|(_, o)| self.costs.total(o))
                    .map(|(p, o)| (p.label(), self.costs.total(o)));
                let (next, next_cost) = runner_up.unwrap_or(("nothing", 0));
                out.push_str(&format!(
                    "- **{}× traffic**: lastunit is the cheapest ({lastunit}); next is {next} ({next_cost}).\n",
                    multiple(l.scale)
                ));
            } else if best.contains(&Policy::Lastunit) {
                out.push_str(&format!(
                    "- **{}× traffic**: lastunit ties for the cheapest ({lastunit}) with {}.\n",
                    multiple(l.scale),
                    names.iter().filter(|n| **n != Policy::Lastunit.label()).cloned().collect::<Vec<_>>().join(", ")
                ));
            } else {
                let (best_o, lu_o) = (outcome(l, best[0]), outcome(l, Policy::Lastunit));
                let c = &self.costs;
                let gained = |lu: u64, other: u64, each: u32| (other as i64 - lu as i64) * i64::from(each);
                why.push_str(&format!(
                    "- At {}× traffic, against {}: lastunit's buffer hid units that the store did not sell before the \
                     next delivery ({} more lost online sales, {} more in cost), more than the store stockouts ({} fewer, \
                     {} saved) and oversells ({} fewer, {} saved) it prevented.\n",
                    multiple(l.scale),
                    best[0].label(),
                    lu_o.lost_online as i64 - best_o.lost_online as i64,
                    -gained(lu_o.lost_online, best_o.lost_online, c.lost_sale),
                    best_o.store_stockouts as i64 - lu_o.store_stockouts as i64,
                    gained(lu_o.store_stockouts, best_o.store_stockouts, c.store_stockout),
                    best_o.oversells as i64 - lu_o.oversells as i64,
                    gained(lu_o.oversells, best_o.oversells, c.oversell),
                ));
                let who = match names.split_last() {
                    Some((last, [])) => format!("{last} costs"),
                    Some((last, rest)) => format!("{} and {last} cost", rest.join(", ")),
                    None => String::new(),
                };
                out.push_str(&format!(
                    "- **{}× traffic**: lastunit is **not** the cheapest: {who} {}, lastunit {lastunit}.\n",
                    multiple(l.scale),
                    cost(best[0]).unwrap_or(0)
                ));
            }
        }
        if !why.is_empty() {
            out.push_str(&format!("\nWhere lastunit is not the cheapest, and why:\n\n{why}"));
        }
        out
    }

    /// `docs/SIMULATION.md`; `provenance` says where and when it was run.
    pub fn markdown(&self, provenance: &str) -> String {
        let base = self.levels.first().map_or(1.0, |l| l.scale);
        let products: Vec<String> = STYLES.iter().map(|(id, v)| format!("{id} {}", rate(*v * base))).collect();
        let buffer = serde_json::to_string(&lastunit_buffer()).expect("a policy serializes");
        let mut md = format!(
            "# Simulation: what five ways of keeping channels in step cost a shop\n\n\
             Generated by `{command}` ({provenance}). Deterministic: the same seed and flags give the same \
             tables on any machine.\n\n\
             {days} days of one shop: a store, a web store and a marketplace selling the same stock room, \
             at {levels} its traffic; every policy replays the same shoppers.\n\n\
             ## Total cost per policy\n\n\
             Each oversell costs {oversell}, each lost online sale {lost}, each store stockout {stockout} \
             (`--oversell-cost`, `--lost-sale-cost`, `--stockout-cost`; why these defaults: below). \
             The cheapest policy at each traffic level is in bold.\n\n\
             {cost_table}\n\
             {verdicts}\n\
             ![Total cost per policy at each traffic level](img/simulation.svg)\n",
            command = self.command(),
            days = self.days,
            levels = self.levels.iter().map(|l| format!("{}×", multiple(l.scale))).collect::<Vec<_>>().join(", "),
            oversell = self.costs.oversell,
            lost = self.costs.lost_sale,
            stockout = self.costs.store_stockout,
            cost_table = self.cost_table(),
            verdicts = self.verdicts(),
        );
        for l in &self.levels {
            md.push_str(&format!(
                "\n## {}× traffic\n\n{} shoppers; every SKU sells {} times the shop's demand described below \
                 (stock levels, kept in days of sales, follow).\n\n{}",
                multiple(l.scale),
                l.shoppers,
                multiple(l.scale),
                self.table(l)
            ));
        }
        md.push_str(&format!(
            "\n## What is simulated\n\n\
             - **Products**: {skus} SKUs, twelve styles in four sizes (S 20%, M 35%, L 30%, XL 15% of a style's sales). \
               Styles, all sizes and channels together, at {base}× traffic: {products}. Demand is split 50% store, 35% web, \
               15% marketplace.\n\
             - **Store shoppers** (09:00 to 19:00) take a unit off the shelf, carry it 3 to 45 minutes, and the register \
               records the sale when they pay. Until then every system still counts the unit.\n\
             - **Online shoppers** (around the clock) see the channel's count, add one unit to the cart if it shows any, and \
               check out 1 to 12 minutes later; a quarter abandon the cart. An accepted order is picked at once; \
               if no unit is physically free it is an **oversell**: the order is cancelled. Marketplace orders reach the \
               shop 10 minutes after checkout (under every policy) and are picked then.\n\
             - **Replenishment** (a lean shop): every SKU starts with five days of stock; every morning at 06:00 a SKU whose \
               stock and orders cover less than three days of sales is ordered up to seven days; it arrives three days later \
               at 08:00, before the store opens. So SKUs often sell their last units just before a delivery, where oversells \
               and stockouts happen. lastunit is told of each purchase order (`expect`) and its receiving names it.\n\n\
             ## The policies\n\n\
             | policy | what the web store and the marketplace see |\n| --- | --- |\n\
             | daily batch sync | the shop's count copied at 03:00, less the channel's own orders since |\n\
             | hourly batch sync | the same, copied every hour |\n\
             | 15-minute polling | the same, copied every 15 minutes |\n\
             | push, no buffers or holds | the web store: the shop's count at every moment, a cart holds nothing; the \
             marketplace: the count its feed took in, every 5 minutes |\n\
             | lastunit | the real engine (`lastunit::Sku`): register sales and deliveries are `apply`d as events, \
             add to cart is `reserve` (15-minute hold), checkout is `commit`, the count shown is `availability`, with the \
             buffer `{buffer}`, recalibrated every hour and when the store opens or closes (as the edge's alarm does); \
             the marketplace gets the engine's availability through the same 5-minute feed and holds nothing |\n\n\
             ## How lastunit sizes the buffer\n\n\
             With the store's opening hours in the policy (`store_hours`, UTC), the engine keeps back the larger of two \
             numbers (`src/buffer.rs`):\n\n\
             - while the store is open, what online shoppers may buy while a store shopper carries a unit to the \
               register (the exposure window, from the SKU's velocity; nothing while it is closed: nobody carries a unit);\n\
             - with a purchase order on its way, what the store is likely to sell in its opening time left before the \
               delivery (the 0.6 quantile of the store's sales over that time). Overnight, with the delivery due before \
               the store opens, that is nothing: the web and the marketplace sell the last units and the delivery refills \
               the shelf. The more opening time is left before the delivery, the more it keeps, up to `max`.\n\n\
             Sized from velocity alone (`{{\"mode\":\"auto\",\"min\":0,\"max\":6}}`, the earlier default here) the buffer \
             hid the same units at night as by day, and at 1× traffic cost more in lost online sales than it saved in store \
             stockouts. The 0.6 quantile keeps a little more than the median because a store stockout (the visit) costs more \
             than a lost online sale (one margin), as the default costs say; where a store stockout costs no more than a \
             lost online sale, push without buffers can be the cheaper at 1× traffic, where it oversells nothing (try \
             `--stockout-cost 5`).\n\n\
             ## Reading the columns, and what each costs\n\n\
             - **oversells** ({oversell} each): online orders accepted for a unit that was no longer there (a shopper was \
               carrying it to the register, or the channel's count was stale). Each is a cancellation: the payment is \
               refunded (the processor keeps its fee), someone writes to the customer, a marketplace counts a \
               seller-cancelled order against the shop's standing, and the customer is less likely to order again. \
               The default is five times one sale's margin.\n\
             - **lost online sales** ({lost} each): online shoppers turned away (the channel showed 0, or checkout \
               refused) while a unit sat free on the shelf, counted only up to the units still unsold when the next \
               delivery came. Under lastunit these are units the buffer hid that the store did not sell in time; under \
               batch sync they are stale zeros after a delivery. The default is one item's margin (about 40% of an \
               average price near 12.50): the shopper buys elsewhere and nobody has to be told.\n\
             - **store stockouts** ({stockout} each): store shoppers who found the shelf empty, counted only up to the \
               units sold online since the last delivery (each of those could have been on the shelf for them). That \
               unit's margin was made online, so what is lost is the visit: a store basket holds more than one item, a \
               shopper facing an empty shelf often leaves with none of them, and may not come back. The default is \
               above one margin and well below a cancellation.\n\
             - **total cost**: oversells × {oversell} + lost online sales × {lost} + store stockouts × {stockout}. \
               Shortages that no policy could avoid (every unit sold, to someone, before the delivery) cost nothing here: \
               the table prices what the way of keeping channels in step adds.\n",
            skus = STYLES.len() * SIZES.len(),
            base = multiple(base),
            products = products.join(", "),
            buffer = buffer,
            oversell = self.costs.oversell,
            lost = self.costs.lost_sale,
            stockout = self.costs.store_stockout,
        ));
        md
    }

    /// What `lastunit simulate` prints.
    pub fn text(&self) -> String {
        let mut out = format!("Total cost per policy:\n{}\n{}", self.cost_table(), self.verdicts());
        for l in &self.levels {
            out.push_str(&format!("\n{}× traffic ({} shoppers):\n{}", multiple(l.scale), l.shoppers, self.table(l)));
        }
        out
    }
}
