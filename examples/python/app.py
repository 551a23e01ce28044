"""The Python example built by examples/python/Stagefile: a tiny HTTP server, Python's
standard library only.

    python app.py          serve HTTP on :8080 (or $PORT); GET / answers the greeting
    python app.py hello    print the greeting and exit (no network needed)
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = "hello from stagefile (python)"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        body = (GREETING + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(args):
    if args == ["hello"]:
        print(GREETING)
        return 0
    if args:
        print("usage: python app.py [hello]", file=sys.stderr)
        return 2
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("", port), Handler)
    # docker stop sends SIGTERM; PID 1 gets no default handler, so exit on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on :{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
