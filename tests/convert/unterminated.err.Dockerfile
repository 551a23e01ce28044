FROM busybox:1.35
COPY <<EOF /x
never closed
