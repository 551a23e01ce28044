//! The generated Stagefiles the compile benchmarks measure, shared by
//! `benches/compile.rs` and `hack/bench` (through the `benchtool` example).

/// A realistic build of `n` stages: each copies a source, runs a cached step, and
/// takes the previous stage's output; every tenth stage builds on the one before it.
pub fn generated(n: usize) -> String {
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
