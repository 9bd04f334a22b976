//! `lastunit simulate`: a seeded shop under five ways of keeping channels in step, and what
//! each costs.
//!
//! The shop ([`shop`]): one stock room (`main-st`) shared by three channels, `store` (the
//! register), `web` and `marketplace`. Every policy ([`policy`]) replays the same shoppers
//! (common random numbers) through [`sim`]:
//!
//! - A store shopper (opening hours 09:00 to 19:00) takes a unit off the shelf if one is there,
//!   carries it for 3 to 45 minutes, and the register records the sale when they pay.
//! - An online shopper sees the channel's count, adds one unit to the cart if it shows any,
//!   and checks out 1 to 12 minutes later (a quarter abandon the cart). An accepted order is
//!   picked at once (marketplace orders when they reach the shop, 10 minutes later); if no unit
//!   is physically free the order is an **oversell** and is cancelled.
//! - Every morning at 06:00 a product whose stock plus what is on order is at or below its reorder
//!   point is ordered up to its target; the delivery arrives three days later at 08:00.
//!
//! Three failures are counted, each priced by [`costs::Costs`]: oversells, **lost online
//! sales** (online shoppers turned away while a unit was free on the shelf, up to the units
//! still unsold when the next delivery came) and **store stockouts** (store shoppers who found
//! the shelf empty, up to the units sold online since the last delivery). [`report`] writes the
//! tables, [`chart`] the SVG.

mod chart;
pub mod costs;
mod policy;
mod report;
mod shop;
mod sim;

use lastunit::catalog::BufferPolicy;

pub use costs::Costs;
pub use policy::Policy;
pub use sim::Outcome;

/// Days simulated by default.
pub const DEFAULT_DAYS: u32 = 28;
/// The traffic levels reported by default: the shop as described, 3 and 10 times busier.
pub const DEFAULT_TRAFFIC: [f64; 3] = [1.0, 3.0, 10.0];

/// The buffer lastunit's engine keeps in the simulation: automatic, with the store's hours.
pub fn lastunit_buffer() -> BufferPolicy {
    BufferPolicy::Auto { min: 0, max: 6, store_hours: Some(shop::store_hours().to_string()) }
}

/// One traffic level: every SKU's demand multiplied by `scale`.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub scale: f64,
    pub shoppers: usize,
    pub outcomes: Vec<(Policy, Outcome)>,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub seed: u64,
    pub days: u32,
    pub costs: Costs,
    pub levels: Vec<Level>,
}

/// Runs every policy on the same shoppers at one traffic level (`scale` multiplies every SKU's
/// demand, and so its stock levels, which are in days of sales).
pub fn level(seed: u64, days: u32, scale: f64) -> Level {
    let catalog = shop::catalog(scale);
    let shoppers = shop::shoppers(&catalog, seed, days, shop::start());
    let buffer = lastunit_buffer();
    let outcomes = Policy::ALL.iter().map(|p| (*p, sim::simulate(*p, &buffer, &catalog, &shoppers, days))).collect();
    Level { scale, shoppers: shoppers.len(), outcomes }
}

/// Runs every policy at every traffic level.
pub fn run(seed: u64, days: u32, traffic: &[f64], costs: Costs) -> Report {
    Report { seed, days, costs, levels: traffic.iter().map(|s| level(seed, days, *s)).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(l: &Level, p: Policy) -> Outcome {
        l.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o.clone()).expect("every policy runs")
    }

    #[test]
    fn the_same_seed_gives_the_same_report() {
        let a = run(7, 7, &DEFAULT_TRAFFIC, Costs::default());
        let b = run(7, 7, &DEFAULT_TRAFFIC, Costs::default());
        assert_eq!(a, b);
        assert_eq!((a.text(), a.svg()), (b.text(), b.svg()));
        assert_eq!(a.markdown("here, now"), b.markdown("here, now"));
        assert_ne!(run(8, 7, &DEFAULT_TRAFFIC, Costs::default()).levels, a.levels, "another seed, another shop");
    }

    #[test]
    fn lastunit_oversells_less_than_a_daily_sync() {
        for seed in [1, 2, 3] {
            let l = level(seed, DEFAULT_DAYS, 1.0);
            let (daily, push, lu) =
                (outcome(&l, Policy::DailySync), outcome(&l, Policy::Push), outcome(&l, Policy::Lastunit));
            assert!(lu.oversells < daily.oversells, "seed {seed}: {lu:?} vs {daily:?}");
            assert!(lu.oversells <= push.oversells, "seed {seed}: {lu:?} vs {push:?}");
            assert!(lu.online_orders > 0 && lu.store_sales > 0);
            assert_eq!(push.lost_online, 0, "nothing hides units under push");
        }
        let busy = level(1, DEFAULT_DAYS, 3.0);
        assert!(outcome(&busy, Policy::Lastunit).oversells < outcome(&busy, Policy::Push).oversells, "{busy:?}");
    }

    #[test]
    fn costs_price_each_failure() {
        let o = Outcome { oversells: 2, lost_online: 3, store_stockouts: 4, ..Outcome::default() };
        assert_eq!(Costs::default().total(&o), 2 * 25 + 3 * 5 + 4 * 8);
        assert_eq!(Costs { oversell: 0, lost_sale: 1, store_stockout: 0 }.total(&o), 3);
    }

    #[test]
    fn the_svg_is_well_formed_enough() {
        let svg = run(1, 3, &[1.0, 2.0], Costs::default()).svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches("<rect").count(),
            svg.matches("</rect>").count() + 3,
            "bars close, background and the two legend keys are empty"
        );
    }
}
