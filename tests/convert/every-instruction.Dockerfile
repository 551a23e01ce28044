# syntax=docker/dockerfile:1
# check=skip=RootUser;error=false

# Versions, declared once for every stage.
ARG BASE=busybox:1.35
ARG GREETING="hello world"

FROM --platform=$BUILDPLATFORM ${BASE} AS build
ARG GREETING
ARG TARGETARCH
ENV APP_HOME=/app \
    MODE=release
WORKDIR $APP_HOME
# Two sources, into the working directory.
COPY --chmod=0644 go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache,id=build-cache,sharing=locked \
    --mount=type=secret,id=token,env=TOKEN,required=true \
    --mount=type=ssh,id=deploy \
    --mount=type=tmpfs,target=/scratch,size=64m \
    --network=none \
    echo "$GREETING on $TARGETARCH" > /app/greeting && \
    mkdir -p /out && cp /app/greeting /out/
RUN ["/bin/sh", "-c", "echo exec form > /out/exec"]
run <<EOF
set -e
echo "heredoc ran" > /out/heredoc
EOF

FROM build AS test
RUN --mount=type=bind,from=build,source=/out,target=/mnt/out,rw \
    --security=insecure ls /mnt/out

FROM busybox:1.35
LABEL org.opencontainers.image.title="every instruction" \
      "quoted key"=value
COPY --from=build --chown=65532:65532 --link /out/ /srv/
COPY --parents --exclude=*.tmp docs/*.md /doc/
COPY <<'EOF' /usr/local/bin/start
#!/bin/sh
exec cat "/srv/$1"
EOF
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \
    https://example.com/tool.tar.gz /opt/
USER 65532:65532
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=3 \
    CMD wget -q -O- http://localhost:8080/ || exit 1
SHELL ["/bin/sh", "-eu", "-c"]
ENTRYPOINT ["/usr/local/bin/start"]
CMD greeting
