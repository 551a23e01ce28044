FROM busybox:1.35
ARG NAME=world
RUN <<EOF
echo "hello $NAME" > /greeting
EOF
RUN cat <<A > /a && cat <<-'B' > /b
first $NAME
A
	second $NAME
	B
COPY <<CONF <<'SCRIPT' /etc/app/
name=${NAME}
cost=$ 5
CONF
#!/bin/sh
echo "$@"
SCRIPT
RUN <<PY
#!/usr/bin/env python3
print("hi")
PY
