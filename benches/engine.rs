//! ns per engine operation for a SKU with 10 locations and 5 channels (`make bench`;
//! `cargo bench --features bench --bench engine`). `benches/wasm.mjs` runs the same [`Workload`]
//! loops compiled to Wasm.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use lastunit::bench_support::Workload;
use lastunit::Timestamp;

const NOW: Timestamp = Timestamp(1_795_687_200_000);
const BATCH: u32 = 1_000;

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(u64::from(BATCH)));
    let mut w = Workload::new(NOW);
    g.bench_function("apply_event", |b| b.iter(|| w.apply_events(BATCH)));
    let mut w = Workload::new(NOW);
    g.bench_function("reserve_then_release", |b| b.iter(|| w.reserve_release(BATCH)));
    let mut w = Workload::new(NOW);
    g.bench_function("reserve_then_commit", |b| b.iter(|| w.reserve_commit(BATCH)));
    let w = Workload::new(NOW);
    g.bench_function("availability", |b| b.iter(|| black_box(w.availability(black_box(BATCH)))));
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
