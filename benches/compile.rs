//! Compile time of the pure pipeline (parse → plan → LLB) for generated Stagefiles of
//! growing size; `hack/bench` reports the same shapes through the binary.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use std::hint::black_box;

/// A realistic build of `n` stages: each copies a source, runs a cached step, and
/// takes the previous stage's output; every tenth stage builds on the one before it.
fn generated(n: usize) -> String {
    let mut s = String::from("args:\n  VERSION: '1.0'\nstages:\n");
    for i in 0..n {
        let base = if i % 10 == 5 {
            format!("s{}", i - 1)
        } else {
            "busybox:1.35".to_owned()
        };
        s.push_str(&format!(
            "  s{i}:\n    from: {base}\n    workdir: /app\n    env: {{ STAGE: '{i}' }}\n    steps:\n      - copy: [src/{i}.txt]\n      - run: echo build {i} $VERSION > /out-{i}\n        cache: /root/.cache\n"
        ));
        if i > 0 {
            s.push_str(&format!(
                "      - copy: /out-{}\n        from: s{}\n        to: /in/\n",
                i - 1,
                i - 1
            ));
        }
    }
    s
}

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
