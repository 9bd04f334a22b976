// Times the engine's benchmark workloads compiled to Wasm, the same loops as benches/engine.rs.
// Usage: node benches/wasm.mjs <dir with wasm-bindgen --target nodejs output>
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? 'target/bench-wasm');
const { BenchWorkload } = createRequire(import.meta.url)(path.join(dir, 'lastunit.js'));
const NOW = 1_795_687_200_000;
const BATCH = 1000;

function time(name, run) {
  const w = new BenchWorkload(NOW);
  for (let i = 0; i < 200; i++) run(w); // warm up the JIT and the allocator
  const samples = [];
  for (let s = 0; s < 50; s++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) run(w);
    samples.push(((performance.now() - t0) * 1e6) / (20 * BATCH));
  }
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} ${samples[25].toFixed(0).padStart(6)} ns/op (median of 50 x 20 x ${BATCH})`);
}

time('apply_event', (w) => w.apply_events(BATCH));
time('reserve_then_release', (w) => w.reserve_release(BATCH));
time('reserve_then_commit', (w) => w.reserve_commit(BATCH));
time('availability', (w) => w.availability(BATCH));
