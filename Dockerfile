# The Stagefile frontend image: one static binary in an otherwise empty image.
#
# Published route (needs the rust image):
#   docker buildx build -t stagefile .
# Prebuilt route (no Rust image pulled; what hack/image does): a context holding only a
# static `stagefile` binary built on the host:
#   docker buildx build --build-arg BINARY_SOURCE=prebuilt -f Dockerfile -t stagefile:dev CTX
# Release route (.github/workflows/release.yml): hack/binaries has put one static binary
# per platform under target/binaries, given as the named context `binaries`:
#   docker buildx build --build-arg BINARY_SOURCE=dist --build-context binaries=target/binaries \
#     --platform linux/amd64,linux/arm64 -t stagefile .
# All routes end in the same `release` stage, so the images have the same shape; the
# repository's Stagefile builds that shape too, through the frontend (the release image).
# VERSION, REVISION and SOURCE fill the OCI version, revision and source labels (hack/image
# and the release workflow pass them; each is empty when not given).

# Which stage provides /out/stagefile: `build` (compile it here), `prebuilt` (take it from
# the build context) or `dist` (take the target platform's from the `binaries` context).
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

# The layout hack/binaries writes: <os>_<arch>[_<variant>]/stagefile under target/binaries,
# named as BuildKit's TARGETOS, TARGETARCH and TARGETVARIANT (linux_amd64, linux_arm64,
# linux_arm_v7, …).
FROM scratch AS dist
ARG TARGETOS TARGETARCH TARGETVARIANT
COPY --from=binaries ${TARGETOS}_${TARGETARCH}${TARGETVARIANT:+_${TARGETVARIANT}}/stagefile /out/stagefile

# Unused stages are skipped, so only the selected source is built (or pulled).
FROM ${BINARY_SOURCE} AS binary

FROM scratch AS release
COPY --from=binary /out/stagefile /stagefile
ARG VERSION="" REVISION="" SOURCE=""
LABEL org.opencontainers.image.title="stagefile" \
      org.opencontainers.image.description="BuildKit frontend for declarative multi-stage container builds (Stagefile)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
# The frontend reads and writes only its stdin and stdout: it needs no root.
USER 65532:65532
ENTRYPOINT ["/stagefile", "frontend"]
