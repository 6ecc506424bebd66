// Bookinfo's reviews: a Node.js service with only the `http` module, no mesh or discovery library.
// v1 shows reviews without stars; v2 asks ratings for the stars through its sidecar's outbound port (env
// MESH_OUTBOUND_PORT, "Host: ratings") and says "version": "v2" in its answer. It forwards the trace headers it
// received, as Bookinfo's reviews does, so that one trace runs through every hop.
//
//   node reviews.js [PORT] [VERSION]      (or env PORT, SERVICE_VERSION; defaults 9081, v1)
'use strict';
const http = require('http');

const port = Number(process.argv[2] || process.env.PORT || 9081);
const version = process.argv[3] || process.env.SERVICE_VERSION || 'v1';
const outbound = process.env.MESH_OUTBOUND_PORT;
const traceHeaders = ['traceparent', 'tracestate', 'x-request-id', 'x-b3-traceid', 'x-b3-spanid',
  'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'b3'];
const texts = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];

function forwarded(headers) {
  const out = {};
  for (const h of traceHeaders) { if (headers[h]) { out[h] = headers[h]; } }
  return out;
}

// Resolves to { status, body?, error? }; never rejects: a failing ratings call is shown, not fatal.
function getRatings(id, inbound) {
  return new Promise((resolve) => {
    if (!outbound) { resolve({ status: 0, error: 'MESH_OUTBOUND_PORT is not set (start reviews behind its sidecar)' }); return; }
    const req = http.request({
      host: '127.0.0.1', port: outbound, path: `/ratings/${id}`, method: 'GET',
      headers: { host: 'ratings', ...forwarded(inbound) }, timeout: 10000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) { resolve({ status: res.statusCode, error: `ratings answered ${res.statusCode}` }); return; }
        try { resolve({ status: 200, body: JSON.parse(data) }); } catch (e) { resolve({ status: 200, error: `ratings sent no JSON: ${e.message}` }); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, error: `ratings unavailable: ${e.message}` }));
    req.end();
  });
}

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/health') { send(res, 200, { status: 'UP', version }); return; }
  const m = /^\/reviews\/(\d+)$/.exec(path);
  if (req.method !== 'GET' || !m) { send(res, 404, { error: 'not found', path }); return; }
  const id = Number(m[1]);
  const body = { id: String(id), version, instance: `reviews-${version}@127.0.0.1:${port}`, headers: forwarded(req.headers) };
  const reviews = texts.map((t) => ({ ...t }));
  if (version !== 'v1') {
    const ratings = await getRatings(id, req.headers);
    body.ratingsStatus = ratings.status;
    if (ratings.body) {
      body.ratings = ratings.body;
      for (const r of reviews) {
        const stars = ratings.body.ratings && ratings.body.ratings[r.reviewer];
        if (stars !== undefined) { r.rating = { stars, color: 'black' }; }
      }
    } else {
      for (const r of reviews) { r.rating = { error: 'Ratings service is currently unavailable' }; }
      body.ratingsError = ratings.error;
    }
  }
  body.reviews = reviews;
  send(res, 200, body);
});

server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1', () => {
  console.log(`reviews ${version} listening on http://127.0.0.1:${port} (ratings through 127.0.0.1:${outbound})`);
});
// Stop taking requests, let the ones in flight finish, and go within 5 s whatever keep-alive connections remain.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
