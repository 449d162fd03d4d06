// The paced re-read of recorded Secrets, against the Kubernetes simulator over TLS: one GET at a
// time, spread over the period, and only Secrets that changed are forgotten (so the next cycle repairs
// them) — no burst of GETs, no request in the sync cycle itself.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { SecretStore, encodeSecretData, type SecretObject as StoredSecret } from '../../adapters/kube/secret-store.js';
import { secretPort } from '../../src/agent/sync-ports.js';
import type { SecretObject } from '../../src/applications/application-resource.js';
import { SecretContentRecord, secretContentDigest } from '../../src/applications/secret-content-record.js';
import { SecretRecheck, stillAsRecorded } from '../../src/applications/secret-recheck.js';

const NS = 'kyma-system';
const dir = await mkdtemp(join(tmpdir(), 'secret-recheck-'));
const sim = await startKubeSim({ crdDir: join(process.cwd(), 'crds'), namespaces: ['default', NS] });
// A real owner: the simulator, like the garbage collector, removes Secrets whose owners do not exist.
const OWNER_UID = (await sim.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: NS } })).metadata
  .uid as string;
const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
const store = new SecretStore(createKubeClient(kubeConfig));
const secrets = secretPort(store);
t.teardown(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** A Secret as the converter builds it (no owner) and as it is stored (owned). */
function desired(i: number): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `app-${i}-b${i}`, namespace: NS, labels: { app: `app-${i}`, bundleId: `b${i}` } },
    type: 'Opaque',
    data: encodeSecretData({ username: `user-${i}`, password: `password-${i}` }),
  };
}
const owned = (secret: SecretObject): SecretObject => ({
  ...secret,
  metadata: {
    ...secret.metadata,
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'app', uid: OWNER_UID }],
  },
});

t.test('a content digest: 128 bits (22 characters), the same for the same content, another for any other', async (t) => {
  const digest = secretContentDigest(desired(1));
  t.match(digest, /^[A-Za-z0-9_-]{22}$/, '16 bytes, base64url without padding');
  t.equal(secretContentDigest(desired(1)), digest, 'stable');
  const variants: SecretObject[] = [
    desired(2),
    { ...desired(1), type: 'kubernetes.io/basic-auth' },
    { ...desired(1), data: encodeSecretData({ username: 'user-1', password: 'password-2' }) },
    { ...desired(1), metadata: { ...desired(1).metadata, labels: { app: 'app-1' } } },
    { ...desired(1), metadata: { ...desired(1).metadata, namespace: 'default' } },
  ];
  t.equal(new Set([digest, ...variants.map(secretContentDigest)]).size, variants.length + 1, 'each change of content, another digest');
});

t.test("stillAsRecorded: the same data, the agent's labels and the recorded owner; labels of others do not count", async (t) => {
  const recorded = { digest: secretContentDigest(desired(1)), ownerUid: OWNER_UID };
  const stored = owned(desired(1));
  t.ok(stillAsRecorded(stored, recorded));
  t.ok(stillAsRecorded({ ...stored, metadata: { ...stored.metadata, labels: { ...stored.metadata.labels, team: 'x' } } }, recorded));
  t.notOk(stillAsRecorded(null, recorded), 'deleted');
  t.notOk(stillAsRecorded({ ...stored, data: encodeSecretData({ username: 'user-1', password: 'edited' }) }, recorded), 'data edited');
  t.notOk(stillAsRecorded({ ...stored, metadata: { ...stored.metadata, labels: { app: 'app-1' } } }, recorded), 'an agent label removed');
  t.notOk(stillAsRecorded(desired(1), recorded), 'the owner reference removed');
});

t.test('one GET at a time, spread over the period; only changed Secrets are forgotten', async (t) => {
  const record = new SecretContentRecord();
  const count = 12;
  for (let i = 0; i < count; i++) {
    await store.create(owned(desired(i)) as StoredSecret);
    record.remember(NS, desired(i).metadata.name, secretContentDigest(desired(i)), OWNER_UID);
  }
  const edited = sim.get('v1', 'Secret', 'app-1-b1', NS)!;
  await sim.update({ ...edited, data: encodeSecretData({ username: 'user-1', password: 'edited-by-hand' }) });
  await store.delete(NS, 'app-2-b2');
  const labelled = sim.get('v1', 'Secret', 'app-3-b3', NS)!;
  await sim.update({ ...labelled, metadata: { ...labelled.metadata, labels: { ...labelled.metadata.labels, team: 'blue' } } });

  sim.clearRequestLog();
  const periodMs = 1_800;
  const recheck = new SecretRecheck(record, secrets, { periodMs });
  recheck.start();
  t.teardown(() => recheck.stop());
  const gets = () => sim.requestLog.filter((entry) => entry.verb === 'get' && entry.resource === 'secrets');
  const deadline = Date.now() + 30_000;
  while (gets().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await recheck.stop();
  const pass = gets().slice(0, count);
  t.same(
    pass.map((entry) => entry.name).sort(),
    Array.from({ length: count }, (_, i) => `app-${i}-b${i}`).sort(),
    'every recorded Secret read once',
  );

  const times = pass.map((entry) => Date.parse(entry.at));
  const gaps = times.slice(1).map((at, i) => at - times[i]);
  const spacing = periodMs / count;
  t.ok(Math.min(...gaps) >= spacing - 10, `reads at least ${spacing} ms apart, never bunched (smallest gap ${Math.min(...gaps)} ms)`);
  t.ok(times.at(-1)! - times[0] >= (count - 1) * spacing - 10, 'the pass spans the period');

  t.equal(record.entry(NS, 'app-1-b1'), undefined, 'the edited Secret is forgotten: the next cycle repairs it');
  t.equal(record.entry(NS, 'app-2-b2'), undefined, 'the deleted Secret is forgotten');
  t.ok(record.entry(NS, 'app-3-b3'), 'a label of someone else changes nothing');
  t.equal(record.size, count - 2);

  const after = sim.requestLog.length;
  await new Promise((resolve) => setTimeout(resolve, 2 * spacing));
  t.equal(sim.requestLog.length, after, 'nothing is read after stop()');
  t.same(
    sim.requestLog.filter((entry) => entry.verb !== 'get'),
    [],
    'the re-check only reads',
  );
});

t.test('however short the period, reads are never closer than the minimum spacing', async (t) => {
  const record = new SecretContentRecord();
  for (let i = 20; i < 26; i++) {
    await store.create(owned(desired(i)) as StoredSecret);
    record.remember(NS, desired(i).metadata.name, secretContentDigest(desired(i)), OWNER_UID);
  }
  sim.clearRequestLog();
  const recheck = new SecretRecheck(record, secrets, { periodMs: 10, minSpacingMs: 100 });
  recheck.start();
  const gets = () => sim.requestLog.filter((entry) => entry.verb === 'get');
  const deadline = Date.now() + 30_000;
  while (gets().length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await recheck.stop();
  const times = gets().map((entry) => Date.parse(entry.at));
  const gaps = times.slice(1).map((at, i) => at - times[i]);
  t.ok(
    gaps.length >= 5 && Math.min(...gaps) >= 90,
    `6 reads, at least 100 ms apart though the period asks for 2 ms (gaps ${gaps.join(', ')} ms)`,
  );
  t.equal(record.size, 6, 'all still as recorded');
});

t.test('a Secret written while its read was on the way stays recorded with the newer content', async (t) => {
  const record = new SecretContentRecord();
  const name = desired(0).metadata.name;
  record.remember(NS, name, 'digest-of-older-content', OWNER_UID);
  const newer = (): void => record.remember(NS, name, secretContentDigest(desired(0)), OWNER_UID);
  const slow = {
    get: async (namespace: string, secretName: string) => {
      const read = await secrets.get(namespace, secretName);
      newer(); // the sync wrote and recorded in the meantime
      return read ? { ...read, data: encodeSecretData({ username: 'stale' }) } : null;
    },
  };
  await new SecretRecheck(record, slow, { periodMs: 1_000 }).check(NS, name);
  t.ok(record.entry(NS, name), 'not forgotten on the strength of an older read');
});
