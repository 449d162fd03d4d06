// Object metadata as kube-apiserver v1.32 validates it, for every kind, over real HTTPS: names per
// kind, generateName, label keys and values, annotation size, ownerReferences, finalizers, and the
// metadata an update may not change. Each rule is pinned on both sides (63 passes, 64 fails) with the
// API server's exact message (k8s.io/apimachinery v0.32.9 pkg/util/validation, pkg/api/validation).
import t, { type Test } from 'tap';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient, type Reply } from './https-client.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const SECRETS = '/api/v1/namespaces/default/secrets';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
const NAMESPACES = '/api/v1/namespaces';
const SERVICES = '/api/v1/namespaces/default/services';
const ROLES = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles';
const PDBS = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const APPS = '/apis/applicationconnector.kyma-project.io/v1alpha1/applications';
const MERGE = { 'content-type': 'application/merge-patch+json' };

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME_PART =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default'] });
  c = await simClient(sim);
});
t.teardown(() => sim.close());

/** 422 Invalid with exactly this message (and one cause per listed field). */
function invalid(t: Test, reply: Reply, message: string): void {
  t.equal(reply.status, 422, `422 for: ${message}`);
  t.equal(reply.body?.reason, 'Invalid');
  t.equal(reply.body?.message, message);
}

const a = (n: number) => 'a'.repeat(n);
let seq = 0;
const fresh = () => `obj-${++seq}`;

t.test('names: DNS-1123 subdomain for most kinds, 253 characters pass and 254 fail', async (t) => {
  t.equal((await c.call('POST', SECRETS, { metadata: { name: a(253) } })).status, 201);
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: a(254) } }),
    `Secret "${a(254)}" is invalid: metadata.name: Invalid value: "${a(254)}": must be no more than 253 characters`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: 'Bad_Name' } }),
    `Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`,
  );
  t.equal((await c.call('POST', CONFIGMAPS, { metadata: { name: 'dots.are.fine' } })).status, 201);
  const app = await c.call('POST', APPS, {
    apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'UPPER' },
    spec: {},
  });
  invalid(
    t,
    app,
    `Application.applicationconnector.kyma-project.io "UPPER" is invalid: metadata.name: Invalid value: "UPPER": ${SUBDOMAIN_MSG}`,
  );
});

t.test('names: Namespace is a DNS-1123 label (63 pass, 64 fail, no dots)', async (t) => {
  t.equal((await c.call('POST', NAMESPACES, { metadata: { name: a(63) } })).status, 201);
  // Defaulting labels every namespace kubernetes.io/metadata.name=<name> before validation, so a name
  // that is no label value fails twice.
  invalid(
    t,
    await c.call('POST', NAMESPACES, { metadata: { name: a(64) } }),
    `Namespace "${a(64)}" is invalid: [metadata.name: Invalid value: "${a(64)}": must be no more than 63 characters, metadata.labels: Invalid value: "${a(64)}": must be no more than 63 characters]`,
  );
  invalid(
    t,
    await c.call('POST', NAMESPACES, { metadata: { name: 'a.b' } }),
    'Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots',
  );
  invalid(
    t,
    await c.call('POST', NAMESPACES, { metadata: { name: '-a' } }),
    `Namespace "-a" is invalid: [metadata.name: Invalid value: "-a": ${LABEL_MSG}, metadata.labels: Invalid value: "-a": ${LABEL_VALUE_MSG}]`,
  );
  const ns = (await c.call('GET', `${NAMESPACES}/${a(63)}`)).body;
  t.equal(ns.metadata.labels['kubernetes.io/metadata.name'], a(63), 'the API server labels every namespace with its name');
});

t.test('names: Service is a DNS-1035 label; RBAC objects and PodDisruptionBudgets only need a path segment', async (t) => {
  const svc = (name: string) => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } });
  t.equal((await c.call('POST', SERVICES, svc(`s${a(62)}`))).status, 201);
  invalid(
    t,
    await c.call('POST', SERVICES, svc(`s${a(63)}`)),
    `Service "s${a(63)}" is invalid: metadata.name: Invalid value: "s${a(63)}": must be no more than 63 characters`,
  );
  invalid(
    t,
    await c.call('POST', SERVICES, svc('1abc')),
    `Service "1abc" is invalid: metadata.name: Invalid value: "1abc": ${DNS1035_MSG}`,
  );
  t.equal((await c.call('POST', ROLES, { metadata: { name: 'system:Weird_Name' } })).status, 201, 'RBAC names are path segments');
  invalid(
    t,
    await c.call('POST', ROLES, { metadata: { name: 'a/b' } }),
    `Role.rbac.authorization.k8s.io "a/b" is invalid: metadata.name: Invalid value: "a/b": may not contain '/'`,
  );
  invalid(
    t,
    await c.call('POST', ROLES, { metadata: { name: '..' } }),
    `Role.rbac.authorization.k8s.io ".." is invalid: metadata.name: Invalid value: "..": may not be '..'`,
  );
  invalid(
    t,
    await c.call('POST', ROLES, { metadata: { name: 'x%y' } }),
    `Role.rbac.authorization.k8s.io "x%y" is invalid: metadata.name: Invalid value: "x%y": may not contain '%'`,
  );
  t.equal(
    (await c.call('POST', PDBS, { metadata: { name: 'Mixed_Case' }, spec: { minAvailable: 1 } })).status,
    201,
    'the PDB strategy does not validate names',
  );
});

t.test('generateName: validated as a prefix, cut to 58 characters, and a missing name is reported with the rest', async (t) => {
  const made = await c.call('POST', CONFIGMAPS, { metadata: { generateName: `${a(70)}-` } });
  t.equal(made.status, 201);
  t.match(made.body.metadata.name, new RegExp(`^${a(58)}[bcdfghjklmnpqrstvwxz2456789]{5}$`));
  const bad = await c.call('POST', CONFIGMAPS, { metadata: { generateName: 'Bad-' } });
  t.equal(bad.status, 422);
  t.match(
    bad.body.message,
    new RegExp(
      `^ConfigMap "Bad-[a-z0-9]{5}" is invalid: \\[metadata\\.generateName: Invalid value: "Bad-": ${escape(SUBDOMAIN_MSG)}, metadata\\.name: Invalid value: "Bad-[a-z0-9]{5}": `,
    ),
  );
  invalid(
    t,
    await c.call('POST', CONFIGMAPS, { metadata: { labels: { ok: 'yes' } } }),
    'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
  );
});

t.test('labels: keys are qualified names, values at most 63 characters', async (t) => {
  t.equal(
    (await c.call('POST', SECRETS, { metadata: { name: fresh(), labels: { [`example.com/${a(63)}`]: a(63), empty: '' } } })).status,
    201,
  );
  const name = fresh();
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { tier: a(64) } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "${a(64)}": must be no more than 63 characters`,
  );
  const v253 = a(253);
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { tier: v253 } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "${v253}": must be no more than 63 characters`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { tier: 'a b' } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "a b": ${LABEL_VALUE_MSG}`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { [a(64)]: 'x' } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "${a(64)}": name part must be no more than 63 characters`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { 'a/b/c': 'x' } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "a/b/c": a qualified name ${QNAME_PART} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { '/x': 'y' } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "/x": prefix part must be non-empty`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, labels: { 'Example.com/x': 'y' } } }),
    `Secret "${name}" is invalid: metadata.labels: Invalid value: "Example.com/x": prefix part ${SUBDOMAIN_MSG}`,
  );
  const both = await c.call('POST', SECRETS, { metadata: { name, labels: { x_: 'y', ok: '-bad' } } });
  t.equal(both.status, 422);
  t.same(
    both.body.details.causes.map((cause: { field: string }) => cause.field),
    ['metadata.labels', 'metadata.labels'],
    'one cause per error',
  );
  t.match(both.body.message, /^Secret "obj-\d+" is invalid: \[metadata\.labels: Invalid value: "x_": name part must consist/);
});

t.test('labels are checked on every update, patches included', async (t) => {
  const name = fresh();
  await c.call('POST', CONFIGMAPS, { metadata: { name } });
  invalid(
    t,
    await c.call('PATCH', `${CONFIGMAPS}/${name}`, { metadata: { labels: { tier: a(64) } } }, MERGE),
    `ConfigMap "${name}" is invalid: metadata.labels: Invalid value: "${a(64)}": must be no more than 63 characters`,
  );
  t.equal((await c.call('PATCH', `${CONFIGMAPS}/${name}`, { metadata: { labels: { tier: a(63) } } }, MERGE)).status, 200);
});

t.test('annotations: qualified keys in any case, 256 KiB of keys and values together', async (t) => {
  const limit = 256 * 1024;
  t.equal(
    (await c.call('POST', SECRETS, { metadata: { name: fresh(), annotations: { k: a(limit - 1) } } })).status,
    201,
    '262144 bytes pass',
  );
  const name = fresh();
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, annotations: { k: a(limit) } } }),
    `Secret "${name}" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes`,
  );
  t.equal(
    (await c.call('POST', SECRETS, { metadata: { name: fresh(), annotations: { 'Example.COM/Key': 'v' } } })).status,
    201,
    'upper case keys are fine',
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, annotations: { 'a b': 'v' } } }),
    `Secret "${name}" is invalid: metadata.annotations: Invalid value: "a b": name part ${QNAME_PART}`,
  );
});

t.test('ownerReferences: required fields, no Event owners, one controller', async (t) => {
  const ref = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '0a1b', ...extra });
  t.equal((await c.call('POST', SECRETS, { metadata: { name: fresh(), ownerReferences: [ref({ controller: true })] } })).status, 201);
  const name = fresh();
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, ownerReferences: [{ kind: 'ConfigMap', name: 'x', uid: 'u' }] } }),
    `Secret "${name}" is invalid: metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, ownerReferences: [ref({ uid: '' })] } }),
    `Secret "${name}" is invalid: metadata.ownerReferences.uid: Invalid value: "": uid must not be empty`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, ownerReferences: [ref({ name: '' })] } }),
    `Secret "${name}" is invalid: metadata.ownerReferences.name: Invalid value: "": name must not be empty`,
  );
  const event = await c.call('POST', SECRETS, { metadata: { name, ownerReferences: [ref({ kind: 'Event' })] } });
  t.equal(event.status, 422);
  t.match(
    event.body.message,
    new RegExp(
      `^Secret "${name}" is invalid: metadata\\.ownerReferences: Invalid value: v1\\.OwnerReference\\{APIVersion:"v1", Kind:"Event", Name:"owner", UID:"0a1b", Controller:\\(\\*bool\\)\\(nil\\), BlockOwnerDeletion:\\(\\*bool\\)\\(nil\\)\\}: /v1, Kind=Event is disallowed from being an owner$`,
    ),
  );
  const two = await c.call('POST', SECRETS, {
    metadata: { name, ownerReferences: [ref({ controller: true }), ref({ name: 'other', uid: 'u2', controller: true })] },
  });
  t.equal(two.status, 422);
  const dup = await c.call('POST', SECRETS, { metadata: { name: fresh(), ownerReferences: [ref(), ref()] } });
  t.equal(dup.status, 201);
  t.equal(dup.body.metadata.ownerReferences.length, 1, 'duplicates are dropped');
  t.equal(
    dup.headers.warning,
    '299 - ".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: 0a1b"',
  );
  t.match(
    two.body.message,
    /metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{v1\.OwnerReference\{APIVersion:"v1", Kind:"ConfigMap", Name:"owner", UID:"0a1b", Controller:\(\*bool\)\(0xc[0-9a-f]+\), BlockOwnerDeletion:\(\*bool\)\(nil\)\}, .*\}: Only one reference can have Controller set to true\. Found "true" in references for ConfigMap\/owner and ConfigMap\/other$/,
  );
});

t.test('finalizers: qualified names, standard names for built-in kinds, orphan and foregroundDeletion exclusive', async (t) => {
  t.equal(
    (await c.call('POST', SECRETS, { metadata: { name: fresh(), finalizers: ['example.com/cleanup', 'kubernetes', 'orphan'] } })).status,
    201,
  );
  const name = fresh();
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, finalizers: ['custom'] } }),
    `Secret "${name}" is invalid: metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, finalizers: ['orphan', 'foregroundDeletion'] } }),
    `Secret "${name}" is invalid: metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name, finalizers: ['example.com/a b'] } }),
    `Secret "${name}" is invalid: metadata.finalizers: Invalid value: "example.com/a b": name part ${QNAME_PART}`,
  );
  // Custom resources: a finalizer without a domain is accepted, with the API server's warning.
  const app = await c.call('POST', APPS, {
    apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
    kind: 'Application',
    metadata: { name: fresh(), finalizers: ['custom'] },
    spec: {},
  });
  t.equal(app.status, 201);
  t.match(
    String(app.headers.warning),
    /299 - "metadata\.finalizers: \\"custom\\": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers"/,
  );
});

t.test('update: uid, deletionTimestamp and deletion grace may not change; name, namespace and creationTimestamp are kept', async (t) => {
  const name = fresh();
  const created = (await c.call('POST', SECRETS, { metadata: { name, finalizers: ['example.com/hold'] } })).body;
  const put = await c.call('PUT', `${SECRETS}/${name}`, { metadata: { name, uid: 'not-the-uid' } });
  t.match(put, {
    status: 409,
    body: {
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on secrets "${name}": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${created.metadata.uid}`,
    },
  });
  invalid(
    t,
    await c.call('PATCH', `${SECRETS}/${name}`, { metadata: { uid: 'not-the-uid' } }, MERGE),
    `Secret "${name}" is invalid: metadata.uid: Invalid value: "not-the-uid": field is immutable`,
  );
  const kept = await c.call('PUT', `${SECRETS}/${name}`, {
    metadata: { name, creationTimestamp: '2001-01-01T00:00:00Z', finalizers: ['example.com/hold'] },
    data: { a: 'YQ==' },
  });
  t.equal(kept.status, 200);
  t.equal(kept.body.metadata.creationTimestamp, created.metadata.creationTimestamp, 'creationTimestamp is silently kept');
  t.equal(kept.body.metadata.uid, created.metadata.uid, 'an empty uid is the stored one');
  invalid(
    t,
    await c.call('PATCH', `${SECRETS}/${name}`, { metadata: { deletionTimestamp: '2030-01-02T03:04:05Z' } }, MERGE),
    `Secret "${name}" is invalid: metadata.deletionTimestamp: Invalid value: 2030-01-02 03:04:05 +0000 UTC: field is immutable`,
  );
  t.match(await c.call('PUT', `${SECRETS}/${name}`, { metadata: { name, namespace: 'other' } }), {
    status: 400,
    body: { message: 'the namespace of the provided object does not match the namespace sent on the request' },
  });
  // Being deleted: no new finalizers, and the deletion timestamp stays whatever the update says.
  await c.call('DELETE', `${SECRETS}/${name}`);
  const deleting = (await c.call('GET', `${SECRETS}/${name}`)).body;
  invalid(
    t,
    await c.call(
      'PATCH',
      `${SECRETS}/${name}`,
      { metadata: { finalizers: ['example.com/hold', 'example.com/z', 'example.com/b'] } },
      MERGE,
    ),
    `Secret "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b", "example.com/z"}`,
  );
  const same = await c.call('PUT', `${SECRETS}/${name}`, { ...deleting, metadata: { ...deleting.metadata, deletionTimestamp: undefined } });
  t.equal(same.body.metadata.deletionTimestamp, deleting.metadata.deletionTimestamp, 'an update cannot remove the deletionTimestamp');
  await c.call('PATCH', `${SECRETS}/${name}`, { metadata: { finalizers: null } }, MERGE);
  t.equal((await c.call('GET', `${SECRETS}/${name}`)).status, 404);
});

t.test('errors from several rules come in one 422, metadata first', async (t) => {
  const name = fresh();
  const reply = await c.call('POST', SECRETS, { metadata: { name, labels: { a: '-' } }, data: { 'bad key': 'YQ==' } });
  t.equal(reply.status, 422);
  t.same(
    reply.body.details.causes.map((cause: { field: string }) => cause.field),
    ['metadata.labels', 'data[bad key]'],
  );
  t.match(
    reply.body.message,
    /^Secret "obj-\d+" is invalid: \[metadata\.labels: Invalid value: "-": a valid label .*, data\[bad key\]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '\.' \(e\.g\. 'key\.name', {2}or 'KEY_NAME', {2}or 'key-name', regex used for validation is '\[-\._a-zA-Z0-9\]\+'\)\]$/,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
