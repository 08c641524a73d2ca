// A Kubernetes API stand-in for the kubernetes provider's tests.
//
// It answers like kube-apiserver for every call the provider (and kubectl's
// get/logs/delete) makes on core/v1 Pods: Status objects on errors, 404/409/
// 410/422, list + watch with resourceVersion, dryRun, logs.  Every request
// body is validated against the official schemas (npm kubernetes-models).
// Each pod runs as a real Docker container (Docker Engine API on
// /var/run/docker.sock) with the pod's image, env, command, limits and
// security context, on the host network so the agent reaches hodeid.
//
// No real cluster behaves exactly like this: see README.md here for what
// differs.  A second port takes test controls (faults):
//   POST /fault {"op": "create|list|watch|delete|log|get|any", "status": 429,
//                "count": 1, "retryAfter": 1, "message": "..."}
//   POST /pending {"reason": "Unschedulable|ImagePullBackOff|InvalidImageName",
//                  "count": 1}    next pods stay Pending with that reason
//   POST /kill {"name": "pod", "how": "OOMKilled|Evicted"}
//   POST /expire                  forget the event history: watches get 410
//   POST /down, POST /up          stop / start answering (connections refused)
//   POST /token {"token": "..."}  the bearer token required from now on
//   GET  /stats                   requests and bytes per call
//
// Usage: node standin.mjs --port-file FILE [--token TOKEN] [--namespace NS]...
//        [--tls-cert PEM --tls-key PEM --client-ca PEM]   (HTTPS, as a real API server)
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { Pod } from 'kubernetes-models/v1';
import { DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const namespaces = new Set(['default']);
for (let i = 0; i < args.length; i++) if (args[i] === '--namespace') namespaces.add(args[i + 1]);
let token = opt('--token', null);
const dockerSocket = process.env.DOCKER_SOCKET || '/var/run/docker.sock';
const verbose = process.env.STANDIN_VERBOSE === '1';

// ---- state ----
let rv = 1000;
const pods = new Map(); // "ns/name" -> pod object
const containers = new Map(); // "ns/name" -> docker container id
let history = []; // {rv, type, object}
let oldestRv = rv;
const watchers = new Set(); // {ns, selector, res}
let faults = [];
let pendingFaults = [];
const stats = {};

const nextRv = () => String(++rv);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const clone = (o) => JSON.parse(JSON.stringify(o));

function status(code, reason, message, details) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

let bytesOut = 0;
function send(res, code, obj) {
  const body = JSON.stringify(obj);
  bytesOut += Buffer.byteLength(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// ---- docker ----
function docker(method, path, body) {
  return new Promise((resolve) => {
    const data = body ? JSON.stringify(body) : null;
    const req = http.request({ socketPath: dockerSocket, method, path: '/v1.41' + path,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => resolve({ status: 0, body: Buffer.from(String(e)) }));
    if (data) req.write(data);
    req.end();
  });
}

function quantity(q, cpu) {
  if (q === undefined) return 0;
  const s = String(q);
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(s);
  if (!m) return 0;
  const n = parseFloat(m[1]);
  const mult = { m: 0.001, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] || 1;
  return cpu ? n * mult : Math.round(n * mult);
}

const imageRef = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function setPhase(key, fn) {
  const pod = pods.get(key);
  if (!pod) return;
  fn(pod);
  pod.metadata.resourceVersion = nextRv();
  emit('MODIFIED', pod);
}

function waiting(pod, reason, message) {
  const c = pod.spec.containers[0];
  pod.status.containerStatuses = [{ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0,
    started: false, state: { waiting: { reason, message } } }];
}

async function runPod(key) {
  const pod = pods.get(key);
  const c = pod.spec.containers[0];
  const pf = pendingFaults.shift();
  if (pf) {
    setPhase(key, (p) => {
      if (pf.reason === 'Unschedulable') {
        p.status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: now(),
          message: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available.' }];
      } else {
        p.status.conditions = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now() }];
        waiting(p, pf.reason, pf.reason === 'InvalidImageName'
          ? `Failed to apply default image tag "${c.image}": couldn't parse image reference`
          : `Back-off pulling image "${c.image}"`);
      }
    });
    return;
  }
  if (!imageRef.test(c.image)) {
    setPhase(key, (p) => waiting(p, 'InvalidImageName', `Failed to apply default image tag "${c.image}": couldn't parse image reference "${c.image}": invalid reference format`));
    return;
  }
  const img = await docker('GET', `/images/${encodeURIComponent(c.image)}/json`);
  if (img.status !== 200) {
    setPhase(key, (p) => waiting(p, 'ErrImagePull', `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`));
    setTimeout(() => setPhase(key, (p) => waiting(p, 'ImagePullBackOff', `Back-off pulling image "${c.image}"`)), 200);
    return;
  }
  const sc = c.securityContext || {};
  const psc = pod.spec.securityContext || {};
  const env = (c.env || []).map((e) => `${e.name}=${e.value ?? ''}`);
  const limits = (c.resources && c.resources.limits) || {};
  const host = {
    NetworkMode: 'host',
    ReadonlyRootfs: !!sc.readOnlyRootFilesystem,
    Tmpfs: Object.fromEntries((c.volumeMounts || []).map((m) => [m.mountPath, 'rw,nosuid,nodev,mode=1777'])),
    CapDrop: ((sc.capabilities && sc.capabilities.drop) || []),
    SecurityOpt: sc.allowPrivilegeEscalation === false ? ['no-new-privileges'] : [],
    Memory: quantity(limits.memory, false),
    NanoCpus: Math.round(quantity(limits.cpu, true) * 1e9),
  };
  const user = sc.runAsUser ?? psc.runAsUser;
  const body = { Image: c.image, Env: env, HostConfig: host,
    Labels: { 'io.hodei.standin': '1', 'io.hodei.standin.pod': key } };
  if (user !== undefined) body.User = String(user) + (psc.fsGroup !== undefined ? `:${psc.fsGroup}` : '');
  if (c.command) body.Entrypoint = c.command;
  if (c.args) body.Cmd = c.args;
  const cr = await docker('POST', '/containers/create', body);
  if (cr.status !== 201) {
    setPhase(key, (p) => waiting(p, 'CreateContainerError', cr.body.toString().trim()));
    return;
  }
  const id = JSON.parse(cr.body).Id;
  if (!pods.has(key)) { // deleted meanwhile
    await docker('DELETE', `/containers/${id}?force=1`);
    return;
  }
  containers.set(key, id);
  const st = await docker('POST', `/containers/${id}/start`);
  if (st.status !== 204) {
    setPhase(key, (p) => waiting(p, 'RunContainerError', st.body.toString().trim()));
    return;
  }
  setPhase(key, (p) => {
    p.status.phase = 'Running';
    p.status.startTime = now();
    p.status.podIP = '127.0.0.1';
    p.status.hostIP = '127.0.0.1';
    p.status.conditions = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now() },
      { type: 'Ready', status: 'True', lastTransitionTime: now() }];
    p.status.containerStatuses = [{ name: c.name, image: c.image, imageID: 'docker-pullable://' + c.image,
      containerID: 'docker://' + id, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now() } } }];
  });
  const w = await docker('POST', `/containers/${id}/wait`);
  if (!pods.has(key) || containers.get(key) !== id) return;
  const ins = await docker('GET', `/containers/${id}/json`);
  const state = ins.status === 200 ? JSON.parse(ins.body).State : { ExitCode: -1 };
  const code = w.status === 200 ? JSON.parse(w.body).StatusCode : state.ExitCode;
  ended(key, code, state.OOMKilled ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error');
}

function ended(key, code, reason, podReason, podMessage) {
  setPhase(key, (p) => {
    if (p.status.phase === 'Succeeded' || p.status.phase === 'Failed') return;
    p.status.phase = code === 0 && !podReason ? 'Succeeded' : 'Failed';
    if (podReason) { p.status.reason = podReason; p.status.message = podMessage; }
    const cs = (p.status.containerStatuses || [{ name: p.spec.containers[0].name, image: p.spec.containers[0].image, imageID: '', restartCount: 0 }])[0];
    cs.ready = false;
    cs.started = false;
    cs.state = { terminated: { exitCode: code, reason, startedAt: p.status.startTime, finishedAt: now(),
      containerID: cs.containerID } };
    p.status.containerStatuses = [cs];
  });
}

async function removeContainer(key) {
  const id = containers.get(key);
  containers.delete(key);
  if (id) await docker('DELETE', `/containers/${id}?force=1&v=1`);
}

// ---- events and watches ----
function matches(pod, ns, sel, fieldSel) {
  if (ns && pod.metadata.namespace !== ns) return false;
  for (const term of (sel ? sel.split(',') : [])) {
    const [k, v] = term.split('=');
    if ((pod.metadata.labels || {})[k] !== v) return false;
  }
  for (const term of (fieldSel ? fieldSel.split(',') : [])) {
    const [k, v] = term.split('=');
    if (k === 'metadata.name' && pod.metadata.name !== v) return false;
  }
  return true;
}

function emit(type, pod) {
  const ev = { rv: Number(pod.metadata.resourceVersion), type, object: clone(pod) };
  history.push(ev);
  if (history.length > 5000) { history.shift(); oldestRv = history[0].rv; }
  for (const w of watchers) if (matches(pod, w.ns, w.sel, w.fieldSel)) w.write(type, ev.object);
}

function openWatch(req, res, ns, q) {
  const from = Number(q.get('resourceVersion') || 0);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  const w = { ns, sel: q.get('labelSelector'), fieldSel: q.get('fieldSelector'),
    write: (type, object) => {
      const line = JSON.stringify({ type, object }) + '\n';
      bytesOut += Buffer.byteLength(line);
      count('watch-event', 0);
      res.write(line);
    } };
  if (from && from < oldestRv) {
    res.write(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${oldestRv})`) }) + '\n');
    res.end();
    return;
  }
  if (from) {
    for (const ev of history) if (ev.rv > from && matches(ev.object, w.ns, w.sel, w.fieldSel)) w.write(ev.type, ev.object);
  } else {
    for (const pod of pods.values()) if (matches(pod, w.ns, w.sel, w.fieldSel)) w.write('ADDED', pod);
  }
  watchers.add(w);
  const secs = Number(q.get('timeoutSeconds') || 1800);
  const timer = setTimeout(() => res.end(), secs * 1000);
  w.close = () => { clearTimeout(timer); watchers.delete(w); };
  w.expire = () => {
    res.write(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') }) + '\n');
    res.end();
    w.close();
  };
  res.on('close', w.close);
}

// ---- the API ----
function count(call, inBytes, outBytes) {
  const s = stats[call] || (stats[call] = { requests: 0, bytesIn: 0 });
  s.requests++;
  s.bytesIn += inBytes || 0;
}

function takeFault(op) {
  const f = faults.find((x) => x.op === op || x.op === 'any');
  if (!f) return null;
  if (--f.count <= 0) faults = faults.filter((x) => x !== f);
  return f;
}

const verbs = { list: 'list', watch: 'watch', create: 'create', delete: 'delete', get: 'get', log: 'get' };

function faultReply(res, f, op, ns) {
  const resource = op === 'log' ? 'pods/log' : 'pods';
  const code = f.status;
  const headers = {};
  if (code === 429) headers['Retry-After'] = String(f.retryAfter ?? 1);
  const msg = f.message || (code === 403
    ? `pods is forbidden: User "system:serviceaccount:${ns}:hodeid" cannot ${verbs[op] || op} resource "${resource}" in API group "" in the namespace "${ns}"`
    : code === 401 ? 'Unauthorized' : code === 429 ? 'Too many requests, please try again later.' : 'Internal error');
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'TooManyRequests', 410: 'Expired', 500: 'InternalError' }[code] || 'Unknown';
  const body = JSON.stringify(status(code, reason, msg, { kind: resource }));
  res.writeHead(code, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function podList(ns, q) {
  let items = [...pods.values()].filter((p) => matches(p, ns, q.get('labelSelector'), q.get('fieldSelector')));
  const limit = Number(q.get('limit') || 0);
  if (limit) items = items.slice(0, limit);
  return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items };
}

function validate(model, obj) {
  try {
    new model(obj).validate();
    return null;
  } catch (e) {
    return String(e.message || e);
  }
}

function createPod(req, res, ns, q, body) {
  let pod;
  try { pod = JSON.parse(body); } catch (e) { return send(res, 400, status(400, 'BadRequest', `json: ${e.message}`)); }
  const err = validate(Pod, pod);
  const name = pod && pod.metadata && pod.metadata.name;
  if (err || !name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    return send(res, 422, status(422, 'Invalid', `Pod "${name}" is invalid: ${err || 'metadata.name: Invalid value'}`,
      { name, kind: 'pods' }));
  }
  if (pod.metadata.namespace && pod.metadata.namespace !== ns) {
    return send(res, 400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
  }
  const key = `${ns}/${name}`;
  if (pods.has(key)) return send(res, 409, status(409, 'AlreadyExists', `pods "${name}" already exists`, { name, kind: 'pods' }));
  pod.metadata.namespace = ns;
  pod.metadata.uid = `${Date.now().toString(16)}-${Math.random().toString(16).slice(2, 10)}`;
  pod.metadata.creationTimestamp = now();
  pod.status = { phase: 'Pending', qosClass: 'Guaranteed' };
  if (q.get('dryRun') === 'All') return send(res, 201, pod);
  pod.metadata.resourceVersion = nextRv();
  pods.set(key, pod);
  emit('ADDED', pod);
  send(res, 201, pod);
  runPod(key).catch((e) => console.error('standin: runPod', e));
}

async function deletePod(req, res, ns, name, q, body) {
  if (body) {
    let o;
    try { o = JSON.parse(body); } catch (e) { return send(res, 400, status(400, 'BadRequest', e.message)); }
    const err = validate(DeleteOptions, o);
    if (err) return send(res, 400, status(400, 'BadRequest', err));
  }
  const key = `${ns}/${name}`;
  const pod = pods.get(key);
  if (!pod) return send(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
  pod.metadata.deletionTimestamp = now();
  pod.metadata.deletionGracePeriodSeconds = Number(q.get('gracePeriodSeconds') ?? 30);
  pod.metadata.resourceVersion = nextRv();
  emit('MODIFIED', pod);
  send(res, 200, pod);
  await removeContainer(key);
  pods.delete(key);
  pod.metadata.resourceVersion = nextRv();
  emit('DELETED', pod);
}

async function podLog(res, ns, name, q) {
  const key = `${ns}/${name}`;
  if (!pods.has(key)) return send(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
  const id = containers.get(key);
  if (!id) return send(res, 400, status(400, 'BadRequest', `container "hodei-worker" in pod "${name}" is waiting to start: ContainerCreating`));
  const tail = q.get('tailLines') ? `&tail=${Number(q.get('tailLines'))}` : '';
  const r = await docker('GET', `/containers/${id}/logs?stdout=1&stderr=1${tail}`);
  // demultiplex docker's stream frames
  const b = r.body;
  const out = [];
  for (let i = 0; i + 8 <= b.length;) {
    const n = b.readUInt32BE(i + 4);
    out.push(b.subarray(i + 8, i + 8 + n));
    i += 8 + n;
  }
  const text = Buffer.concat(out);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': text.length });
  res.end(text);
}

const apiResources = {
  kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'],
      verbs: ['create', 'delete', 'get', 'list', 'watch'] },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', shortNames: ['ns'], verbs: ['get', 'list'] },
  ],
};

function route(req, res, body) {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams;
  const p = url.pathname;
  if (verbose) console.error(`standin: ${req.method} ${req.url}`);
  if (p === '/version') return send(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-hodei-standin', platform: 'linux/amd64' });
  if (p === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host }] });
  if (p === '/apis') return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (p === '/api/v1') return send(res, 200, apiResources);
  // a bearer token, or a client certificate signed by the cluster's CA
  if (token && req.headers.authorization !== `Bearer ${token}` && !req.socket.authorized) {
    count('unauthorized', body.length);
    return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  }
  let m = /^\/api\/v1\/namespaces\/([^/]+)(?:\/pods(?:\/([^/]+)(\/log)?)?)?$/.exec(p);
  if (!m) {
    if (p === '/api/v1/pods' && req.method === 'GET') return send(res, 200, podList(null, q));
    return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }
  const [, ns, name, log] = m;
  const isPods = p.includes('/pods');
  const op = !isPods ? 'get' : log ? 'log' : name ? (req.method === 'DELETE' ? 'delete' : 'get')
    : req.method === 'POST' ? 'create' : (q.get('watch') === '1' || q.get('watch') === 'true') ? 'watch' : 'list';
  count(op + (q.get('dryRun') ? '-dryrun' : ''), body.length);
  const f = takeFault(op);
  if (f) return faultReply(res, f, op, ns);
  if (!namespaces.has(ns)) return send(res, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
  if (!isPods) return send(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns }, status: { phase: 'Active' } });
  if (op === 'create') return createPod(req, res, ns, q, body);
  if (op === 'list') return send(res, 200, podList(ns, q));
  if (op === 'watch') return openWatch(req, res, ns, q);
  if (op === 'delete') return deletePod(req, res, ns, name, q, body);
  if (op === 'log') return podLog(res, ns, name, q);
  const pod = pods.get(`${ns}/${name}`);
  return pod ? send(res, 200, pod) : send(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
}

function handler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try { route(req, res, Buffer.concat(chunks).toString()); } catch (e) {
      console.error('standin:', e);
      send(res, 500, status(500, 'InternalError', String(e)));
    }
  });
}

// ---- listening, and the control port ----
const sockets = new Set();
let server = null;
let apiPort = 0;

function listen(port) {
  return new Promise((resolve) => {
    const tls = opt('--tls-cert', null);
    server = tls
      ? https.createServer({ cert: fs.readFileSync(tls), key: fs.readFileSync(opt('--tls-key')),
        ca: fs.readFileSync(opt('--client-ca')), requestCert: true, rejectUnauthorized: false }, handler)
      : http.createServer(handler);
    server.keepAliveTimeout = 60000;
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}

function down() {
  return new Promise((resolve) => {
    for (const w of watchers) w.close();
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}

function control(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const o = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
    const p = req.url;
    if (p === '/fault') faults.push({ op: o.op || 'any', status: o.status, count: o.count || 1, retryAfter: o.retryAfter, message: o.message });
    else if (p === '/clear') { faults = []; pendingFaults = []; }
    else if (p === '/pending') for (let i = 0; i < (o.count || 1); i++) pendingFaults.push({ reason: o.reason });
    else if (p === '/kill') {
      const key = [...pods.keys()].find((k) => k.endsWith('/' + o.name) || (o.label && (pods.get(k).metadata.labels || {})[o.label.split('=')[0]] === o.label.split('=')[1]));
      if (!key) return send(res, 404, { error: 'no such pod' });
      // The pod's status says so first; the container goes when the pod is deleted
      // (as a kubelet reports a pod's end before its API object goes away).
      if (o.how === 'Evicted') ended(key, 137, 'Error', 'Evicted', 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki.');
      else ended(key, 137, 'OOMKilled');
    } else if (p === '/expire') {
      history = [];
      oldestRv = rv + 1;
      for (const w of [...watchers]) w.expire();
    } else if (p === '/down') await down();
    else if (p === '/up') await listen(apiPort);
    else if (p === '/token') token = o.token;
    else if (p === '/stats') return send(res, 200, { stats, bytesOut, pods: pods.size });
    else if (p === '/pods') return send(res, 200, [...pods.values()]);
    else return send(res, 404, { error: 'unknown control' });
    send(res, 200, { ok: true });
  });
}

async function cleanup() {
  const ids = [...containers.values()];
  await Promise.all(ids.map((id) => docker('DELETE', `/containers/${id}?force=1&v=1`)));
  process.exit(0);
}
process.on('SIGTERM', cleanup);
process.on('SIGINT', cleanup);

apiPort = await listen(Number(opt('--port', 0)));
const ctl = http.createServer(control);
ctl.listen(Number(opt('--control-port', 0)), '127.0.0.1', () => {
  const text = `api=${apiPort}\ncontrol=${ctl.address().port}\n`;
  const pf = opt('--port-file', null);
  if (pf) { fs.writeFileSync(pf + '.tmp', text); fs.renameSync(pf + '.tmp', pf); } else process.stdout.write(text);
});
