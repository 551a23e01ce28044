FROM busybox:1.35
RUN true
ONBUILD RUN make
