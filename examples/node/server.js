// The Node.js example built by examples/node/Stagefile: a tiny HTTP server, Node's
// standard library only.
//
//   node server.js          serve HTTP on :8080 (or $PORT); GET / answers the greeting
//   node server.js hello    print the greeting and exit (no network needed)
'use strict';

const http = require('node:http');

const greeting = 'hello from stagefile (node)';

if (process.argv[2] === 'hello') {
  console.log(greeting);
} else if (process.argv.length > 2) {
  console.error(`usage: node server.js [hello]`);
  process.exit(2);
} else {
  const port = Number(process.env.PORT || 8080);
  const server = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${greeting}\n`);
  });
  server.listen(port, () => console.log(`listening on :${port}`));
  // docker stop sends SIGTERM; PID 1 gets no default handler, so close and exit.
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
