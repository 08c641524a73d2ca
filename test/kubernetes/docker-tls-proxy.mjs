// A Docker Engine API on TCP with TLS client certificates, as dockerd
// --tlsverify serves it: forwards to the local unix socket only for clients
// whose certificate the CA signed.  For the docker provider's tcp:// +
// DOCKER_TLS_VERIFY test (e2e.sh, case docker-tls).
// Usage: node docker-tls-proxy.mjs CERT KEY CA PORT_FILE
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [cert, key, ca, portFile] = process.argv.slice(2);
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key),
  ca: fs.readFileSync(ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
  const up = http.request({ socketPath: process.env.DOCKER_SOCKET || '/var/run/docker.sock',
    method: req.method, path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
