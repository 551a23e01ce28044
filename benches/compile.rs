//! Compile time of the pure pipeline (parse → plan → LLB) for generated Stagefiles of
//! growing size; `hack/bench` reports the same shapes through the binary.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use std::hint::black_box;

#[path = "generated.rs"]
mod generated;
use generated::generated;

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    for n in [10, 100, 1000] {
        let text = generated(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let out = stagefile::compile::compile(
                    black_box(text.as_bytes()),
                    &BuildOptions::default(),
                    &LowerOptions::default(),
                );
                black_box(out.expect("generated specs compile"))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = compile
}
criterion_main!(benches);
