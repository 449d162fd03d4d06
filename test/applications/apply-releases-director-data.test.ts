// applyConfiguration consumes the Director applications it is given: each is held only by the
// operation that writes it and released when that operation ends, so an initial sync does not hold
// every Director object until its last write. Observed with WeakRefs and V8's collector (exposed at
// run time for this file): an application is released when a full collection clears its WeakRef.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';
import { applyConfiguration } from '../../src/applications/apply-configuration.js';
import { applicationName, shouldNormalizeNames } from '../../src/applications/normalizer.js';
import type { SyncPorts } from '../../src/applications/ports.js';
import { SecretContentRecord } from '../../src/applications/secret-content-record.js';
import { application, basicAuth, bundle, options } from './director-fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const COUNT = 30;
const name = (i: number) => `app-${String(i).padStart(2, '0')}`;

/** The configuration of a fetch and a WeakRef to each of its applications, by Application name; nothing else holds them. */
function fetched(): { config: RuntimeConfiguration; refs: Map<string, WeakRef<object>> } {
  const applications = Array.from({ length: COUNT }, (_, i) => {
    const id = `a0000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`;
    return application(id, name(i), {
      bundles: [bundle(`b${id.slice(1)}`, `bundle ${i}`, { defaultInstanceAuth: basicAuth(`user-${i}`, `password-${i}`) })],
    });
  });
  const runtimeLabels = {};
  const normalize = shouldNormalizeNames(runtimeLabels);
  const refs = new Map(applications.map((app) => [applicationName(app.name, normalize), new WeakRef(app)]));
  return { config: { runtimeLabels, applications }, refs };
}

/** Ports that keep what is written; the write of `holdAt` (0-based) waits for `release`. */
function heldPorts(holdAt: number) {
  const written: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: (name: string) => void;
  const holding = new Promise<string>((resolve) => (reached = resolve));
  let uid = 0;
  const ports: SyncPorts = {
    applications: {
      listManaged: async () => [],
      cacheVersion: () => written.length,
      create: async (app) => {
        if (written.length === holdAt) {
          reached(app.metadata.name);
          await released;
        }
        written.push(app.metadata.name);
        // A stored copy with the fields the server sets.
        return { ...app, metadata: { ...app.metadata, uid: `uid-${++uid}`, resourceVersion: String(uid) } };
      },
      update: () => Promise.reject(new Error('not expected')),
      delete: () => Promise.reject(new Error('not expected')),
    },
    secrets: {
      get: async () => null,
      create: async () => undefined,
      replace: async () => undefined,
      delete: async () => undefined,
    },
  };
  return { ports, written, holding, release };
}

/** The names whose application a full collection leaves alive (in a later turn: a WeakRef keeps its target for the turn it was read in). */
async function alive(refs: Map<string, WeakRef<object>>): Promise<string[]> {
  await nextTurn();
  gc();
  return [...refs].filter(([, ref]) => ref.deref() !== undefined).map(([key]) => key);
}

t.test('a Director application is released once its Application is written, not when the apply ends', async (t) => {
  const { config, refs } = fetched();
  const half = COUNT / 2;
  const { ports, written, holding, release } = heldPorts(half);
  const applying = applyConfiguration(config, ports, { ...options, secretContent: new SecretContentRecord(), concurrency: 1 });
  const held = await holding;
  t.equal(config.applications.length, 0, 'the configuration no longer lists them');

  const living = await alive(refs);
  t.equal(written.length, half, `${half} Applications written while one write is held`);
  t.same(
    written.filter((key) => living.includes(key)),
    [],
    'none of the written ones is held any more',
  );
  const pending = [...refs.keys()].filter((key) => !written.includes(key) && key !== held);
  t.equal(pending.length, COUNT - half - 1);
  t.same(
    pending.filter((key) => !living.includes(key)),
    [],
    'those still to be written are held by their operations (the collection does see what is held)',
  );

  release();
  const report = await applying;
  t.equal(report.created, COUNT, 'every Application created');
  t.same(await alive(refs), [], 'after the apply, none is held');
});
