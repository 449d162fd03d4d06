// Size limits over real HTTPS: a request body over the API server's 3 MiB limit gets its 413 Status
// and the keep-alive connection stays usable; an object over etcd's 1.5 MiB request limit gets the
// 500 kube-apiserver passes through from etcd ("etcdserver: request is too large"), on create, update
// and patch, but not on a dry run, which never reaches etcd.
import t from 'tap';
import { Agent, request } from 'node:https';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';

const MAX_BODY = 3 * 1024 * 1024;
const ETCD_LIMIT = 1.5 * 1024 * 1024;
const BLOBS = '/apis/example.com/v1/namespaces/default/blobs';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

const blobsCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'blobs.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'blobs', kind: 'Blob' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ namespaces: ['default'] });
  c = await simClient(sim);
  t.equal((await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', blobsCrd)).status, 201);
});
t.teardown(() => sim.close());

interface RawReply {
  status: number;
  body: any;
  reusedSocket: boolean;
  localPort?: number;
}

/** One request on an agent that has a single keep-alive socket, reporting whether it reused it. */
function send(agent: Agent, method: string, path: string, body: string | Buffer): Promise<RawReply> {
  const url = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            reusedSocket: req.reusedSocket,
            localPort: res.socket?.localPort,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A ConfigMap create whose JSON body is exactly `bytes` long. */
function configMapBody(name: string, bytes: number): string {
  const empty = JSON.stringify({ metadata: { name }, data: { k: '' } });
  return JSON.stringify({ metadata: { name }, data: { k: 'x'.repeat(bytes - empty.length) } });
}

t.test('a body over 3 MiB: 413 with the API server Status, and the same connection serves the next request', async (t) => {
  const cert = await sim.clientCertificate();
  const agent = new Agent({ ca: sim.caPem, cert: cert.certPem, key: cert.keyPem, keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const first = await send(agent, 'GET', CONFIGMAPS, '');
  t.equal(first.status, 200);

  const atLimit = configMapBody('at-limit', MAX_BODY);
  t.equal(Buffer.byteLength(atLimit), MAX_BODY);
  const accepted = await send(agent, 'POST', CONFIGMAPS, atLimit);
  t.equal(accepted.status, 422, 'a 3145728-byte body is read (and then fails the 1 MiB ConfigMap rule)');
  t.match(accepted.body.message, /^ConfigMap "at-limit" is invalid: \[\]: Too long/);

  const over = await send(agent, 'POST', CONFIGMAPS, configMapBody('over-limit', MAX_BODY + 1));
  t.equal(over.status, 413);
  t.same(over.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Request entity too large: limit is 3145728',
    reason: 'RequestEntityTooLarge',
    code: 413,
  });
  t.ok(over.reusedSocket, 'the oversized request went over the kept-alive connection');

  const big = await send(agent, 'PUT', `${CONFIGMAPS}/whatever`, Buffer.alloc(5 * 1024 * 1024, 0x20));
  t.equal(big.status, 413, 'a 5 MB body: 413, not a reset connection');
  const next = await send(agent, 'GET', `${CONFIGMAPS}/over-limit`, '');
  t.equal(next.status, 404, 'nothing was stored');
  t.ok(next.reusedSocket, 'the next request reuses the same connection');
  t.equal(next.localPort, first.localPort, 'one connection throughout');
});

t.test('an object over etcd\'s 1.5 MiB limit: 500 "etcdserver: request is too large"; a dry run is not stored and passes', async (t) => {
  const key = '/registry/example.com/blobs/default/';
  // What the API server would store: the object with its server fields (a 36-character uid, a
  // second-precision creationTimestamp, generation 1), as Go's JSON encoder writes it (newline at the end).
  const stored = (name: string, blob: string) =>
    Buffer.byteLength(
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Blob',
        metadata: { name, namespace: 'default', uid: 'u'.repeat(36), creationTimestamp: '2024-01-01T00:00:00Z', generation: 1 },
        blob,
      }),
    ) + 1;
  const framing = (name: string) => 3 * (key.length + name.length) + 64;
  const fill = (name: string, extra: number) => 'x'.repeat(ETCD_LIMIT - framing(name) - stored(name, '') + extra);
  const body = (name: string, extra: number) => ({
    apiVersion: 'example.com/v1',
    kind: 'Blob',
    metadata: { name },
    blob: fill(name, extra),
  });

  t.equal((await c.call('POST', BLOBS, body('fits', 0))).status, 201, 'exactly at the limit is stored');
  const tooLarge = await c.call('POST', BLOBS, body('too-large', 1));
  t.equal(tooLarge.status, 500);
  t.same(
    tooLarge.body,
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcdserver: request is too large', code: 500 },
    'no reason, as ErrorToAPIStatus gives none',
  );
  t.equal((await c.call('GET', `${BLOBS}/too-large`)).status, 404);
  t.equal((await c.call('POST', `${BLOBS}?dryRun=All`, body('too-large', 1))).status, 201, 'a dry run never reaches etcd');

  // Growing a stored object past the limit fails the same way, for a patch and an update.
  t.equal(
    (await c.call('POST', BLOBS, { apiVersion: 'example.com/v1', kind: 'Blob', metadata: { name: 'grows' }, blob: 'small' })).status,
    201,
  );
  const patched = await c.call('PATCH', `${BLOBS}/grows`, { blob: fill('grows', 1) }, { 'content-type': 'application/merge-patch+json' });
  t.match(patched, { status: 500, body: { message: 'etcdserver: request is too large' } });
  const current = (await c.call('GET', `${BLOBS}/grows`)).body;
  t.equal(current.blob, 'small', 'the failed write changed nothing');
  t.match(await c.call('PUT', `${BLOBS}/grows`, { ...current, blob: fill('grows', 1) }), {
    status: 500,
    body: { message: 'etcdserver: request is too large' },
  });
  t.equal((await c.call('PUT', `${BLOBS}/grows`, { ...current, blob: fill('grows', -100) })).status, 200, 'just under the limit is stored');
});

t.test('built-in kinds are measured as protobuf stores them: a full 1 MiB Secret with large annotations fits', async (t) => {
  const data = { payload: Buffer.alloc(1024 * 1024, 7).toString('base64') };
  const annotations = { note: 'n'.repeat(200 * 1024) };
  const secret = await c.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'full', annotations }, data });
  t.equal(secret.status, 201, 'its JSON is over 1.5 MiB, its stored form is not');
});
