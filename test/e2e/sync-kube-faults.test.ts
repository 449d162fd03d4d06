// Acceptance of the Application synchronisation against Kubernetes faults (issue #5): a 409 or 500
// during apply and a dropped or expired watch each leave nothing wrongly deleted, show the reference's
// failure state and text, and converge without duplicate creates; once converged a cycle writes nothing.
import t, { type Test } from 'tap';
import {
  applications,
  betweenCycles,
  compassCredentials,
  failsThenConverges,
  leakedCredentials,
  manyApis,
  manyBundles,
  synchronizedWithLargeApplications,
  uuid,
  type Json,
} from '../helpers/sync-checks.js';

/** Create requests (whatever their answer) per Application name, from the kube request log. */
function createAttempts(requestLog: { resource?: string; verb: string; name?: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of requestLog) {
    if (entry.resource !== 'applications' || entry.verb !== 'create') continue;
    counts[entry.name ?? ''] = (counts[entry.name ?? ''] ?? 0) + 1;
  }
  return counts;
}

t.test('Kubernetes faults during apply and watch disruptions', async (t) => {
  const h = await synchronizedWithLargeApplications(t, { generated: [10, 3] });
  const compass = h.sims.compass.control;
  h.sims.kube.requestLog.length = 0; // creates are counted from here
  const expectedCreates: Record<string, number> = {};

  await t.test('a 500 on create is reported and the next cycle creates the Application once', async (t) => {
    await failsThenConverges(
      t,
      h,
      'ResourceApplicationFailed',
      /^Failed to apply configuration: 1 of 13 applications failed: mp-late-arrival \(create: creating Application mp-late-arrival failed: .*HTTP 500/,
      () => {
        h.sims.kube.faults.failNext({ verb: 'create', resource: 'applications', name: 'mp-late-arrival', status: 500 });
        compass.upsertApplication({ id: uuid('f0000000', 3), name: 'late-arrival' });
      },
    );
    t.ok(applications(h).has('mp-late-arrival'));
    expectedCreates['mp-late-arrival'] = 2; // the injected 500, then the create that worked
  });

  await t.test('a 409 Conflict on create is reported as a conflict, not as a foreign Application', async (t) => {
    await failsThenConverges(
      t,
      h,
      'ResourceApplicationFailed',
      /mp-conflicted \(create: creating Application mp-conflicted failed: .*HTTP 409 Conflict/,
      () => {
        h.sims.kube.faults.failNext({ verb: 'create', resource: 'applications', name: 'mp-conflicted', status: 409 });
        compass.upsertApplication({ id: uuid('f0000000', 4), name: 'conflicted' });
      },
    );
    t.ok(applications(h).has('mp-conflicted'));
    expectedCreates['mp-conflicted'] = 2; // the injected 409, then the create that worked
  });

  await t.test('a 409 on update is retried on a fresh read within the cycle', async (t) => {
    const logMark = h.sims.kube.requestLog.length;
    const seqMark = h.lastEventSeq();
    await betweenCycles(h, () => {
      h.sims.kube.faults.failNext({ verb: 'update', resource: 'applications', name: 'mp-many-apis', status: 409 });
      compass.upsertApplication({ ...manyApis(), description: 'described now' });
    });
    await h.waitFor('the new description', () => applications(h).get('mp-many-apis')?.spec.description === 'described now');
    const updates = h.sims.kube.requestLog
      .slice(logMark)
      .filter((entry) => entry.verb === 'update' && entry.name === 'mp-many-apis')
      .map((entry) => entry.status);
    t.same(updates, [409, 200], 'one conflict, one successful retry');
    await h.waitForSyncCycles(1);
    t.same(
      h
        .syncOutcomes(seqMark)
        .map((outcome) => outcome.result)
        .filter((result) => result !== 'Synchronized'),
      [],
      'every cycle Synchronized',
    );
  });

  await t.test('a 500 on update or delete is reported and converges, deleting only what Compass removed', async (t) => {
    await failsThenConverges(
      t,
      h,
      'ResourceApplicationFailed',
      /mp-many-bundles \(update: updating Application mp-many-bundles failed: .*HTTP 500/,
      () => {
        h.sims.kube.faults.failNext({ verb: 'update', resource: 'applications', name: 'mp-many-bundles', status: 500 });
        compass.upsertApplication({ ...manyBundles(), description: 'described too' });
      },
    );
    t.equal(applications(h).get('mp-many-bundles')?.spec.description, 'described too');

    const logMark = h.sims.kube.requestLog.length;
    await betweenCycles(h, () => {
      h.sims.kube.faults.failNext({ verb: 'delete', resource: 'applications', name: 'mp-conflicted', status: 500 });
      compass.removeApplication(uuid('f0000000', 4));
    });
    const failed = await h.waitForState('ResourceApplicationFailed');
    t.match(failed.status?.synchronizationStatus?.error, /mp-conflicted \(delete: deleting Application mp-conflicted failed: .*HTTP 500/);
    await h.waitForState('Synchronized');
    t.notOk(applications(h).has('mp-conflicted'), 'deleted on the next cycle');
    const deleted = h.sims.kube.requestLog.slice(logMark).filter((entry) => entry.verb === 'delete' && entry.resource === 'applications');
    t.same(
      deleted.map((entry) => [entry.name, entry.status]),
      [
        ['mp-conflicted', 500],
        ['mp-conflicted', 200],
      ],
      'only the removed Application was deleted',
    );
  });

  /** A user deletes a managed Application around a watch disruption: the cache learns it and it is re-created once. */
  async function recreatedAfter(t: Test, disrupt: () => void, name: string): Promise<void> {
    const uid = applications(h).get(name)!.metadata.uid;
    disrupt();
    await h.kubectl('delete', 'application', name);
    const back = await h.waitFor(`${name} re-created`, () => {
      const app = applications(h).get(name);
      return app && app.metadata.uid !== uid ? app : undefined;
    });
    t.equal(back.spec.compassMetadata.applicationId, compass.applications().find((app) => `mp-${app.name}` === name)?.id);
    expectedCreates[name] = (expectedCreates[name] ?? 0) + 1;
    await h.waitForSyncCycles(1); // the cycle that re-created it has also written its Secrets
    await h.waitForState('Synchronized');
    // The simulator's garbage collector took the Secrets with the deleted Application: they are back, owned by the new one.
    const referenced = new Set<string>(
      back.spec.services
        .flatMap((service: Json) =>
          service.entries.flatMap((entry: Json) => [entry.credentials.secretName, entry.requestParametersSecretName]),
        )
        .filter(Boolean),
    );
    for (const secretName of referenced) {
      const stored = h.sims.kube.get('v1', 'Secret', secretName, 'kyma-system') as Json | undefined;
      t.equal(stored?.metadata.ownerReferences?.[0]?.uid, back.metadata.uid, `Secret ${secretName} re-created for the new Application`);
    }
  }

  await t.test('a cleanly ended watch: the cache follows and nothing is created twice', async (t) => {
    await recreatedAfter(t, () => t.ok(h.sims.kube.faults.dropWatches('clean') > 0, 'watches dropped'), 'mp-many-apis');
  });

  await t.test('an abruptly reset watch: the cache follows and nothing is created twice', async (t) => {
    await recreatedAfter(t, () => t.ok(h.sims.kube.faults.dropWatches('abrupt') > 0, 'watches reset'), 'mp-many-bundles');
  });

  await t.test('compacted history: the watch relists and the cache is rebuilt', async (t) => {
    const logMark = h.sims.kube.requestLog.length;
    const [someone] = [...applications(h).keys()].filter((name) => !(name in expectedCreates));
    await recreatedAfter(
      t,
      () => {
        h.sims.kube.faults.compactHistory();
        h.sims.kube.faults.dropWatches('abrupt');
      },
      someone,
    );
    const relisted = h.sims.kube.requestLog.slice(logMark).some((entry) => entry.resource === 'applications' && entry.verb === 'list');
    t.ok(relisted, 'the Applications were listed again');
  });

  await t.test('after all faults: no duplicate creates, a quiet cycle writes nothing, no credential leaked', async (t) => {
    t.same(
      createAttempts(h.sims.kube.requestLog),
      expectedCreates,
      'no create beyond the expected ones (a duplicate would show as a 409 attempt)',
    );
    const logMark = h.sims.kube.requestLog.length;
    await h.waitForSyncCycles(3);
    const writes = h.sims.kube.requestLog
      .slice(logMark)
      .filter(
        (entry) =>
          ['create', 'update', 'patch', 'delete'].includes(entry.verb) &&
          (entry.resource === 'applications' || entry.resource === 'secrets'),
      );
    t.same(writes, [], 'no writes once converged');
    t.equal(applications(h).size, 13);
    const credentials = compassCredentials(h);
    t.ok(credentials.length > 3, `${credentials.length} credentials to look for`);
    t.same(await leakedCredentials(h, credentials), [], 'no password or client secret in the log, CR, event log or metrics');
  });
});
