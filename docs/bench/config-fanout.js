const http = require('http');
const PORT = parseInt(process.env.CONFIG_PORT || '8888', 10);
const N = parseInt(process.argv[2] || '1000', 10);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
let ready = 0, got = 0, t0 = 0;
const timer = setTimeout(() => { console.log(`TIMEOUT ready=${ready} got=${got}`); process.exit(1); }, 60000);
for (let i = 0; i < N; i++) {
  http.get({ host: '127.0.0.1', port: PORT, path: '/monitor/events', agent }, res => {
    let buf = '', seenReady = false, seenEvent = false;
    res.setEncoding('utf8');
    res.on('data', d => {
      buf += d;
      if (!seenReady && buf.includes(': subscribed')) { seenReady = true; if (++ready === N) fire(); }
      if (!seenEvent && buf.includes('event: refresh')) { seenEvent = true; if (++got === N) { const ms = Number(process.hrtime.bigint() - t0) / 1e6; console.log(`${N} subscribers received the event in ${ms.toFixed(1)} ms`); clearTimeout(timer); process.exit(0); } }
    });
  }).on('error', e => { console.log('ERR ' + e.message); process.exit(1); });
}
function fire() {
  const req = http.request({ host: '127.0.0.1', port: PORT, path: '/monitor', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, r => r.resume());
  t0 = process.hrtime.bigint();
  req.end('path=catalog.yml');
}
