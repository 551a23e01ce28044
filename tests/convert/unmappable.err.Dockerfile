FROM busybox:1.35
RUN --mount=type=cache,target=/c,ro true
COPY --chmod=u+x a /b
ADD --exclude=*.md . /
  RUN --device=/dev/fuse true
