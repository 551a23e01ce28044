# The Stagefile frontend image: one static binary in an otherwise empty image.
#
# Published route (needs the rust image):
#   docker buildx build -t stagefile .
# Prebuilt route (no Rust image pulled; what hack/image does): a context holding only a
# static `stagefile` binary built on the host:
#   docker buildx build --build-arg BINARY_SOURCE=prebuilt -f Dockerfile -t stagefile:dev CTX
# Both routes end in the same `release` stage, so the images have the same shape.

# Which stage provides /out/stagefile: `build` (compile it here) or `prebuilt` (take it
# from the build context).
ARG BINARY_SOURCE=build

FROM rust:1.95-alpine AS build
# gcc compiles mimalloc, the binary's allocator (C).
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY . .
# The target dir is a cache mount, so the binary is copied out in the same step.
RUN --mount=type=cache,id=stagefile-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=stagefile-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=stagefile-target,target=/src/target \
    cargo build --release --locked --target x86_64-unknown-linux-musl \
 && mkdir -p /out \
 && cp target/x86_64-unknown-linux-musl/release/stagefile /out/stagefile

FROM scratch AS prebuilt
COPY stagefile /out/stagefile

# Unused stages are skipped, so only the selected source is built (or pulled).
FROM ${BINARY_SOURCE} AS binary

FROM scratch AS release
COPY --from=binary /out/stagefile /stagefile
LABEL org.opencontainers.image.title="stagefile" \
      org.opencontainers.image.description="BuildKit frontend for declarative multi-stage container builds (Stagefile)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/stagefile", "frontend"]
