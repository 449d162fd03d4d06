// A quiet cycle (sync-memory.ts): the very same Director answers again (RuntimeConfiguration.answers),
// with the same settings, an Application cache and a Secret record unchanged since the last apply that
// found nothing to do, give that apply's report without planning (the cache is not even listed), also
// when the answers were only recognised and never parsed (unchangedReport). Anything else plans.
import { hash } from 'node:crypto';
import t from 'tap';
import type { ApplicationObject, SecretObject } from '../../src/applications/application-resource.js';
import { applyConfiguration, quietPossible, unchangedReport } from '../../src/applications/apply-configuration.js';
import type { SyncPorts } from '../../src/applications/ports.js';
import { SecretContentRecord } from '../../src/applications/secret-content-record.js';
import { SyncMemory } from '../../src/applications/sync-memory.js';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';
import { application, basicAuth, bundle, options } from './director-fixtures.js';

/**
 * In-memory ports: the Application cache has a version that every write (or `touch`) moves; with
 * `ownCounting`, the port also counts the changes its own Application writes made (ownCacheChanges).
 * `onEachWrite` sets what runs before each Application write (someone else's change in the middle of an apply, say).
 */
function memoryPorts(settings: { ownCounting?: boolean } = {}) {
  let onWrite: ((name: string) => void) | undefined;
  const apps = new Map<string, ApplicationObject>();
  const secrets = new Map<string, SecretObject>();
  let version = 0;
  let own = 0;
  let uid = 0;
  const counts = { lists: 0, writes: 0 };
  const ownWrite = (name: string) => {
    onWrite?.(name);
    version++;
    own++;
  };
  const stored = <T extends { metadata: { uid?: string; resourceVersion?: string } }>(object: T): T => {
    counts.writes++;
    return {
      ...structuredClone(object),
      metadata: { ...object.metadata, uid: object.metadata.uid ?? `uid-${++uid}`, resourceVersion: String(version) },
    };
  };
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const ports: SyncPorts = {
    applications: {
      listManaged: async () => {
        counts.lists++;
        return [...apps.values()].map((app) => structuredClone(app));
      },
      cacheVersion: () => version,
      ...(settings.ownCounting ? { ownCacheChanges: () => own } : {}),
      create: async (app) => {
        ownWrite(app.metadata.name);
        const created = stored(app);
        apps.set(app.metadata.name, created);
        return created;
      },
      update: async (app) => {
        ownWrite(app.metadata.name);
        const updated = stored({ ...app, metadata: { ...app.metadata, uid: apps.get(app.metadata.name)?.metadata.uid } });
        apps.set(app.metadata.name, updated);
        return updated;
      },
      delete: async (name) => {
        ownWrite(name);
        apps.delete(name);
      },
    },
    secrets: {
      get: async (namespace, name) => structuredClone(secrets.get(key(namespace, name)) ?? null),
      create: async (secret) => void secrets.set(key(secret.metadata.namespace, secret.metadata.name), stored(secret)),
      replace: async (secret) => void secrets.set(key(secret.metadata.namespace, secret.metadata.name), stored(secret)),
      delete: async (namespace, name) => void secrets.delete(key(namespace, name)),
    },
  };
  return {
    ports,
    counts,
    touch: () => version++,
    onEachWrite: (run: ((name: string) => void) | undefined) => {
      onWrite = run;
    },
  };
}

const directorApps = [1, 2, 3].map((n) =>
  application(`a0000000-0000-4000-8000-00000000000${n}`, `app-${n}`, {
    bundles: [
      bundle(`b0000000-0000-4000-8000-00000000000${n}`, `bundle ${n}`, { defaultInstanceAuth: basicAuth(`user-${n}`, `password-${n}`) }),
    ],
  }),
);
/** As the Director client names a fetch: a digest of what it read (here of the applications themselves). */
const answersOf = (applications: unknown) => hash('sha256', JSON.stringify(applications), 'base64');
const configuration = (applications = directorApps): RuntimeConfiguration => ({
  runtimeLabels: {},
  applications: [...applications],
  answers: answersOf(applications),
});

t.test('a quiet cycle is answered from the last quiet apply; any change plans again', async (t) => {
  const { ports, counts, touch } = memoryPorts();
  const secretContent = new SecretContentRecord();
  const memory = new SyncMemory();
  const apply = (config: RuntimeConfiguration) => applyConfiguration(config, ports, { ...options, secretContent, memory });

  const first = await apply(configuration());
  t.equal(first.created, 3);
  const second = await apply(configuration());
  t.same([second.unchanged, second.created, second.updated], [3, 0, 0], 'planned again after the writes: nothing to do');
  const lists = counts.lists;

  const quiet = await apply(configuration());
  t.equal(counts.lists, lists, 'not planned: the cache is not even listed');
  t.same(quiet, second, 'the same report');

  touch(); // an Application edited by hand, say
  await apply(configuration());
  t.equal(counts.lists, lists + 1, 'a changed Application cache plans again');
  await apply(configuration());
  t.equal(counts.lists, lists + 1, 'and then it is quiet again');

  secretContent.forget(options.integrationNamespace, secretContentKeys(secretContent)[0] ?? '');
  const repaired = await apply(configuration());
  t.equal(counts.lists, lists + 2, 'a forgotten Secret plans again');
  t.equal(repaired.unchanged, 3, 'and the Secret is checked (read and found as it should be)');

  const renamed = directorApps.map((app, i) => (i === 1 ? { ...app, description: 'changed in Compass' } : app));
  const changed = await apply(configuration(renamed));
  t.equal(changed.updated, 1, 'another Director object plans again');
  t.equal(counts.lists, lists + 3);

  const normalized = await applyConfiguration(
    { runtimeLabels: { isNormalized: 'false' }, applications: [...renamed], answers: answersOf(renamed) },
    ports,
    {
      ...options,
      secretContent,
      memory,
    },
  );
  t.ok(counts.lists === lists + 4 && normalized.failed.length === 0, 'other settings (name normalisation) plan again');
});

t.test('answers recognised but not read are quiet exactly when applying them would be', async (t) => {
  const { ports, counts, touch } = memoryPorts();
  const secretContent = new SecretContentRecord();
  const memory = new SyncMemory();
  const applyOptions = { ...options, secretContent, memory };
  const unchanged = (applications = directorApps, runtimeLabels = {}) => ({
    unchanged: true as const,
    runtimeLabels,
    answers: answersOf(applications),
    pages: { read: 0, reused: 1 },
  });
  t.notOk(quietPossible(ports, applyOptions), 'nothing applied yet: not even possible');
  t.equal(unchangedReport(unchanged(), ports, applyOptions), undefined);
  await applyConfiguration(configuration(), ports, applyOptions);
  t.notOk(quietPossible(ports, applyOptions), 'an apply that wrote is not quiet');
  const quiet = await applyConfiguration(configuration(), ports, applyOptions);
  t.ok(quietPossible(ports, applyOptions), 'one that found nothing to do is');
  t.same(unchangedReport(unchanged(), ports, applyOptions), quiet, 'the same answers: its report, nothing listed');
  const lists = counts.lists;
  const renamed = directorApps.map((app, i) => (i === 0 ? { ...app, description: 'other' } : app));
  t.equal(unchangedReport(unchanged(renamed), ports, applyOptions), undefined, 'other answers: no report');
  t.equal(unchangedReport(unchanged(directorApps, { isNormalized: 'true' }), ports, applyOptions), undefined, 'other settings: no report');
  t.equal(counts.lists, lists, 'and nothing was read for it');
  touch();
  t.notOk(quietPossible(ports, applyOptions), 'a changed Application cache: not possible');
  t.equal(unchangedReport(unchanged(), ports, applyOptions), undefined);
  const withoutAnswers = { runtimeLabels: {}, applications: [...directorApps] };
  await applyConfiguration(withoutAnswers, ports, applyOptions);
  const planned = counts.lists;
  await applyConfiguration(withoutAnswers, ports, applyOptions);
  t.equal(counts.lists, planned + 1, 'a fetch without answers (an application continued on further requests) always plans');
});

t.test('an apply that did something, or ports without a cache version, are never quiet', async (t) => {
  const { ports, counts } = memoryPorts();
  const secretContent = new SecretContentRecord();
  const memory = new SyncMemory();
  const withoutVersion: SyncPorts = { ...ports, applications: { ...ports.applications, cacheVersion: undefined } };
  for (let i = 0; i < 3; i++) await applyConfiguration(configuration(), withoutVersion, { ...options, secretContent, memory });
  t.equal(counts.lists, 3, 'every apply plans');
});

t.test('after an apply that wrote, the next is quiet when the cache changed by those writes alone', async (t) => {
  const { ports, counts, touch } = memoryPorts({ ownCounting: true });
  const secretContent = new SecretContentRecord();
  const memory = new SyncMemory();
  const applyOptions = { ...options, secretContent, memory };
  const apply = (config: RuntimeConfiguration) => applyConfiguration(config, ports, applyOptions);

  const first = await apply(configuration());
  t.same([first.created, first.unchanged], [3, 0]);
  t.ok(quietPossible(ports, applyOptions), 'possible at once');
  const lists = counts.lists;
  const writes = counts.writes;
  const quiet = await apply(configuration());
  t.equal(counts.lists, lists, 'not planned');
  t.equal(counts.writes, writes, 'nothing written');
  t.same(
    [quiet.created, quiet.updated, quiet.deleted, quiet.unchanged, quiet.failed, quiet.message],
    [0, 0, 0, 3, [], null],
    'every application counts as unchanged, as a plan would find',
  );
  t.same(
    unchangedReport(
      { unchanged: true, runtimeLabels: {}, answers: answersOf(directorApps), pages: { read: 0, reused: 1 } },
      ports,
      applyOptions,
    ),
    quiet,
    'recognised answers too',
  );

  const changed = directorApps.map((app, i) => (i === 2 ? { ...app, description: 'changed in Compass' } : app));
  const updated = await apply(configuration(changed));
  t.same([updated.updated, updated.unchanged], [1, 2]);
  const afterUpdate = counts.lists;
  t.equal((await apply(configuration(changed))).unchanged, 3, 'after an update: quiet, all three unchanged');
  t.equal(counts.lists, afterUpdate, 'not planned');

  const fewer = changed.slice(0, 2);
  const deleted = await apply(configuration(fewer));
  t.same([deleted.deleted, deleted.unchanged], [1, 2]);
  const afterDelete = counts.lists;
  t.equal((await apply(configuration(fewer))).unchanged, 2, 'after a delete: quiet, the two left unchanged');
  t.equal(counts.lists, afterDelete, 'not planned');

  touch(); // someone else's change after the apply
  await apply(configuration(fewer));
  t.equal(counts.lists, afterDelete + 1, 'a change since plans again');
});

t.test('an apply during which someone else changed the cache or the record, or that failed, leaves the next to plan', async (t) => {
  const harness = memoryPorts({ ownCounting: true });
  const { ports, counts } = harness;
  const secretContent = new SecretContentRecord();
  const memory = new SyncMemory();
  const apply = (config: RuntimeConfiguration) => applyConfiguration(config, ports, { ...options, secretContent, memory });

  harness.onEachWrite(() => harness.touch()); // an Application edited by hand while the apply writes
  await apply(configuration());
  harness.onEachWrite(undefined);
  const lists = counts.lists;
  const second = await apply(configuration());
  t.equal(counts.lists, lists + 1, 'a foreign change during the apply: the next one plans');
  t.equal(second.unchanged, 3);
  await apply(configuration());
  t.equal(counts.lists, lists + 1, 'and once that found nothing to do, quiet');

  // The record forgets a Secret on outside evidence (the watch saw it edited) during an apply.
  const changed = directorApps.map((app, i) => (i === 0 ? { ...app, description: 'changed in Compass' } : app));
  const [namespace, name] = secretContent.keys()[1];
  const recorded = secretContent.entry(namespace, name)!;
  harness.onEachWrite(() => secretContent.forgetIf(namespace, name, recorded));
  await apply(configuration(changed));
  harness.onEachWrite(undefined);
  const afterForget = counts.lists;
  await apply(configuration(changed));
  t.equal(counts.lists, afterForget + 1, 'a Secret forgotten on outside evidence during the apply: the next one plans');

  const failing = memoryPorts({ ownCounting: true });
  const failingMemory = new SyncMemory();
  const failingRecord = new SecretContentRecord();
  let creates = 0;
  const broken: SyncPorts = {
    ...failing.ports,
    applications: {
      ...failing.ports.applications,
      create: async (app) => {
        if (++creates === 2) throw new Error('injected create failure');
        return failing.ports.applications.create(app);
      },
    },
  };
  const failed = await applyConfiguration(configuration(), broken, { ...options, secretContent: failingRecord, memory: failingMemory });
  t.equal(failed.failed.length, 1);
  const plannedBefore = failing.counts.lists;
  await applyConfiguration(configuration(), failing.ports, { ...options, secretContent: failingRecord, memory: failingMemory });
  t.equal(failing.counts.lists, plannedBefore + 1, 'an apply where something failed: the next one plans');
});

function secretContentKeys(record: SecretContentRecord): string[] {
  return record.keys().map(([, name]) => name);
}

t.test('the Secret record counts what it forgot on outside evidence, not what the executor forgot to rewrite', async (t) => {
  const record = new SecretContentRecord();
  record.remember('ns', 'a', 'digest-a', 'uid-1');
  record.remember('ns', 'b', 'digest-b', 'uid-1');
  const a = record.entry('ns', 'a')!;
  record.forget('ns', 'a'); // the executor, before it writes
  t.same([record.externalChanges, record.size], [0, 1]);
  record.remember('ns', 'a', 'digest-a2', 'uid-1');
  record.forgetIf('ns', 'a', a);
  t.same([record.externalChanges, record.size], [0, 2], 'an entry a write since replaced is not forgotten');
  record.forgetIf('ns', 'b', record.entry('ns', 'b')!);
  t.same([record.externalChanges, record.size], [1, 1], 'forgotten on evidence from outside');
  record.clear();
  t.same([record.externalChanges, record.size], [2, 0], 'and everything at once');
});
