//! ns per engine operation for a SKU with 10 locations and 5 channels (`make bench`).
//! The same operations compiled to Wasm are timed by `scripts/bench-wasm.mjs`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use lastunit::bench_support::{busy_sku, HoldIds};
use lastunit::{EventBody, Timestamp};

fn engine(c: &mut Criterion) {
    let now = Timestamp(1_795_687_200_000);
    let mut sku = busy_sku(now);
    let mut n = 0u64;
    c.bench_function("apply_sale_event", |b| {
        b.iter_batched(
            || {
                n += 1;
                let body = EventBody {
                    event_id: format!("s{n}"),
                    kind: "sale".into(),
                    sku: "A".into(),
                    location: "loc-3".into(),
                    quantity: 1,
                    ..EventBody::default()
                };
                body.check("bench", now).unwrap()
            },
            |e| black_box(sku.apply(&e, now).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let sku = busy_sku(now);
    let mut ids = HoldIds::default();
    c.bench_function("reserve", |b| {
        b.iter_batched(
            || (sku.clone(), ids.next_request(now)),
            |(mut s, req)| {
                black_box(s.reserve(&req, now).unwrap());
                s
            },
            BatchSize::LargeInput,
        )
    });
    let sku = busy_sku(now);
    c.bench_function("commit", |b| {
        b.iter_batched(
            || {
                let mut s = sku.clone();
                let req = HoldIds::default().next_request(now);
                s.reserve(&req, now).unwrap();
                (s, req.id)
            },
            |(mut s, id)| black_box(s.commit(&id, "o-1", now).unwrap()),
            BatchSize::LargeInput,
        )
    });
    let sku = busy_sku(now);
    c.bench_function("availability", |b| b.iter(|| black_box(sku.availability(black_box("web")).unwrap())));
}

criterion_group!(benches, engine);
criterion_main!(benches);
