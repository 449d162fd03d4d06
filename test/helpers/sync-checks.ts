// Helpers of the Application synchronisation's acceptance tests (test/e2e/sync-*.test.ts): reading the
// Applications from the Kubernetes simulator, Compass data that forces nested paging, and the
// "a fault fails one cycle, the next converges, nothing was deleted" check.
import type { Test } from 'tap';
import type { CompassSimOptions } from '../../sim/compass/index.js';
import { startHarness, type Harness } from './agent-harness.js';

export const APP_API = 'applicationconnector.kyma-project.io/v1alpha1';

export type Json = Record<string, any>;

export const uuid = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** 20 bundles: more than one page of bundles at page size 7. */
export function manyBundles() {
  return {
    id: uuid('f0000000', 1),
    name: 'many-bundles',
    bundles: Array.from({ length: 20 }, (_, b) => ({
      id: uuid('f1000000', b),
      name: `bundle ${b}`,
      apiDefinitions: [{ id: uuid('f2000000', b), name: `api ${b}`, targetURL: `https://many.example.com/${b}` }],
      eventDefinitions: [{ id: uuid('f3000000', b), name: `event.${b}` }],
    })),
  };
}

/** One bundle of 30 APIs and 15 events: several pages of each at page size 7. */
export function manyApis() {
  return {
    id: uuid('f0000000', 2),
    name: 'many-apis',
    bundles: [
      {
        id: uuid('f4000000', 1),
        name: 'big bundle',
        defaultInstanceAuth: {
          credential: {
            __typename: 'OAuthCredentialData' as const,
            clientId: 'big',
            clientSecret: 'big-secret-value',
            url: 'https://big.example.com/token',
          },
        },
        apiDefinitions: Array.from({ length: 30 }, (_, a) => ({
          id: uuid('f5000000', a),
          name: `api-${a}`,
          targetURL: `https://big.example.com/${a}`,
        })),
        eventDefinitions: Array.from({ length: 15 }, (_, e) => ({ id: uuid('f6000000', e), name: `event-${e}` })),
      },
    ],
  };
}

/**
 * A harness whose Director holds `generated` applications ([count, seed]) plus manyBundles() and
 * manyApis(), with the agent started and Synchronized; closed when `t` ends.
 */
export async function synchronizedWithLargeApplications(
  t: Test,
  options: { generated: [count: number, seed: number]; compass?: CompassSimOptions; timeoutMs?: number },
): Promise<Harness> {
  const h = await startHarness({ apps: 0, compass: options.compass });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  compass.generateApplications(...options.generated);
  compass.upsertApplication(manyBundles());
  compass.upsertApplication(manyApis());
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized', options.timeoutMs);
  return h;
}

export function applications(h: Harness): Map<string, Json> {
  return new Map(h.sims.kube.list(APP_API, 'Application').map((app) => [app.metadata.name as string, app as Json]));
}

export function uids(h: Harness): Record<string, string> {
  return Object.fromEntries([...applications(h)].map(([name, app]) => [name, app.metadata.uid as string]));
}

/**
 * Arms between two cycles (the agent runs in this process: no cycle can start in between), so the
 * next cycle meets the fault from its first request.
 */
export async function betweenCycles(h: Harness, arm: () => void): Promise<void> {
  const busy = () => /Maintaining|Synchronizing|Renewing|Connecting/.test(JSON.stringify(h.agent!.runtime.getSnapshot().value));
  if (busy()) await h.waitForSyncCycles(1);
  arm();
}

/** The fault's cycle fails with `state` and `error`, a later one is Synchronized; nothing was deleted. */
export async function failsThenConverges(t: Test, h: Harness, state: string, error: RegExp, arm: () => void): Promise<void> {
  const before = uids(h);
  const logMark = h.sims.kube.requestLog.length;
  await betweenCycles(h, arm);
  const failed = await h.waitForState(state);
  t.match(failed.status?.synchronizationStatus?.error, error, `${state} with the reference's error text`);
  await h.waitForState('Synchronized');
  const deletes = h.sims.kube.requestLog.slice(logMark).filter((entry) => entry.verb === 'delete' || entry.verb === 'deletecollection');
  t.same(deletes, [], 'nothing was deleted');
  const after = uids(h);
  t.same(
    Object.keys(before).filter((name) => after[name] !== before[name]),
    [],
    'every Application is still the same object',
  );
}

/** Passwords and client secrets of every application in the Compass simulator. */
export function compassCredentials(h: Harness): string[] {
  return h.sims.compass.control.applications().flatMap((app) =>
    app.bundles.flatMap((bundle) => {
      const credential = (bundle.defaultInstanceAuth?.credential ?? {}) as { password?: string; clientSecret?: string };
      return [credential.password, credential.clientSecret].filter((value): value is string => typeof value === 'string');
    }),
  );
}

/** The credentials among `values` found in the agent's log, the CompassConnection, the event log or the metrics. */
export async function leakedCredentials(h: Harness, values: string[]): Promise<string[]> {
  const places = [h.logs.join('\n'), JSON.stringify(h.connection()), h.agent!.eventLog.toText(), await h.agent!.metrics.registry.metrics()];
  return values.filter((value) => places.some((text) => text.includes(value)));
}
