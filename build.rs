//! Compiles the BuildKit messages that bollard-buildkit-proto lacks, with a pure-Rust
//! protobuf compiler so no machine needs protoc.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["errdefs.proto"], ["proto"])?;
    prost_build::Config::new()
        .extern_path(".pb", "::bollard_buildkit_proto::pb")
        .compile_fds(descriptors)?;
    Ok(())
}
