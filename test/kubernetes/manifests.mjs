// deploy/kubernetes/*.yaml against the official schemas (kubernetes-models),
// and the Role against what the kubernetes provider calls: exactly these
// verbs on these resources, nothing more (SECURITY.md).
// Usage: node manifests.mjs DEPLOY_DIR PROVIDER_SOURCE
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';

const [dir, source] = process.argv.slice(2);
const models = { Namespace, PersistentVolumeClaim, Service, ServiceAccount, Deployment, Role, RoleBinding };
let failed = 0;
const fail = (msg) => { console.error(`FAIL: ${msg}`); failed++; };
const docs = [];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf8'))) {
    if (!doc) continue;
    const Model = models[doc.kind];
    if (!Model) { fail(`${f}: kind ${doc.kind} has no schema here`); continue; }
    try { new Model(doc).validate(); } catch (e) { fail(`${f}: ${e.message}`); }
    docs.push({ f, doc });
  }
}
const kinds = new Set(docs.map((d) => d.doc.kind));
for (const k of ['Deployment', 'Service', 'ServiceAccount', 'Role', 'RoleBinding', 'PersistentVolumeClaim'])
  if (!kinds.has(k)) fail(`no ${k}`);

// What the provider calls, read from its source: method and path of each request.
const src = fs.readFileSync(source, 'utf8');
const calls = new Set();
for (const m of src.matchAll(/hodei__httpc_send(?:_sync)?\([^,]+,\s*"([A-Z]+)",\s*path/g)) calls.add(m[1]);
const want = { pods: new Set(), 'pods/log': new Set() };
if (calls.has('POST')) want.pods.add('create');
if (calls.has('DELETE')) want.pods.add('delete');
if (/pods\?labelSelector=%s&watch=1/.test(src)) want.pods.add('watch');
if (/pods\?labelSelector=%s"/.test(src) || /labelSelector=%s&limit=1/.test(src)) want.pods.add('list');
if (/\/log\?tailLines/.test(src)) want['pods/log'].add('get');
const role = docs.find((d) => d.doc.kind === 'Role');
const got = { pods: new Set(), 'pods/log': new Set() };
for (const r of (role ? role.doc.rules : [])) {
  if (JSON.stringify(r.apiGroups) !== '[""]') fail(`Role: apiGroups ${JSON.stringify(r.apiGroups)}`);
  for (const res of r.resources) {
    if (!got[res]) { fail(`Role: resource ${res} is more than the provider needs`); continue; }
    for (const v of r.verbs) got[res].add(v);
  }
}
for (const res of Object.keys(want)) {
  const w = [...want[res]].sort().join(','), g = [...got[res]].sort().join(',');
  if (w !== g) fail(`Role: ${res} verbs are [${g}], the provider calls [${w}]`);
}
// The deployment runs restricted, with its service account.
const dep = docs.find((d) => d.doc.kind === 'Deployment');
const pod = dep && dep.doc.spec.template.spec;
if (pod) {
  const sc = pod.containers[0].securityContext || {};
  if (!(pod.securityContext || {}).runAsNonRoot) fail('Deployment: runAsNonRoot');
  if (sc.allowPrivilegeEscalation !== false) fail('Deployment: allowPrivilegeEscalation');
  if (JSON.stringify((sc.capabilities || {}).drop) !== '["ALL"]') fail('Deployment: capabilities.drop');
  if (pod.serviceAccountName !== 'hodeid') fail('Deployment: serviceAccountName');
  if (!pod.volumes.some((v) => v.persistentVolumeClaim)) fail('Deployment: no volume for the store');
}
if (failed) process.exit(1);
console.log(`ok: ${docs.length} objects valid; Role = pods [${[...want.pods].sort()}], pods/log [${[...want['pods/log']]}]`);
