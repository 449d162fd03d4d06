// The executor against an in-memory fake of the ports (the Kubernetes-backed ports are exercised by
// the integration tests against the Kubernetes simulator).

import t from 'tap';
import type { DirectorApplication, RuntimeConfiguration } from '../../adapters/compass/director-types.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ApplicationObject,
  type SecretObject,
} from '../../src/applications/application-resource.js';
import { applyConfiguration, type ApplyOptions } from '../../src/applications/apply-configuration.js';
import { AlreadyExistsError, isAlreadyExists, type SyncPorts } from '../../src/applications/ports.js';
import { SecretContentRecord } from '../../src/applications/secret-content-record.js';
import { api, application, basicAuth, bundle, decode, oauth, options } from './director-fixtures.js';

const NS = options.integrationNamespace;

/** A cluster in memory that records every request the ports make (listManaged reads a cache: not a request). */
class FakeCluster {
  readonly apps = new Map<string, ApplicationObject>();
  readonly secrets = new Map<string, SecretObject>();
  requests: string[] = [];
  failures = new Map<string, string>();
  inFlight = 0;
  maxInFlight = 0;
  #version = 0;

  private async request(description: string): Promise<void> {
    this.requests.push(description);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    const failure = this.failures.get(description);
    if (failure) throw new Error(failure);
  }

  private version(): string {
    return String(++this.#version);
  }

  readonly ports: SyncPorts = {
    applications: {
      listManaged: async () =>
        [...this.apps.values()]
          .filter((app) => app.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE)
          .map((app) => structuredClone(app)),
      create: async (app) => {
        await this.request(`create application ${app.metadata.name}`);
        if (this.apps.has(app.metadata.name)) throw new AlreadyExistsError(`applications "${app.metadata.name}" already exists`);
        const stored = structuredClone(app);
        stored.metadata.uid = `uid-${app.metadata.name}-${this.version()}`;
        stored.metadata.resourceVersion = this.version();
        this.apps.set(app.metadata.name, stored);
        return structuredClone(stored);
      },
      update: async (app) => {
        await this.request(`update application ${app.metadata.name}`);
        const current = this.apps.get(app.metadata.name);
        if (!current) throw new Error(`applications "${app.metadata.name}" not found`);
        if (current.metadata.resourceVersion !== app.metadata.resourceVersion) throw new Error('conflict');
        const stored = structuredClone(app);
        stored.metadata.resourceVersion = this.version();
        this.apps.set(app.metadata.name, stored);
        return structuredClone(stored);
      },
      delete: async (name) => {
        await this.request(`delete application ${name}`);
        this.apps.delete(name);
      },
    },
    secrets: {
      get: async (namespace, name) => {
        await this.request(`get secret ${name}`);
        const secret = this.secrets.get(`${namespace}/${name}`);
        return secret ? structuredClone(secret) : null;
      },
      create: async (secret) => {
        await this.request(`create secret ${secret.metadata.name}`);
        const key = `${secret.metadata.namespace}/${secret.metadata.name}`;
        if (this.secrets.has(key)) throw new AlreadyExistsError(`secrets "${secret.metadata.name}" already exists`);
        this.secrets.set(key, {
          ...structuredClone(secret),
          metadata: { ...structuredClone(secret.metadata), uid: `uid-secret-${this.version()}`, resourceVersion: this.version() },
        });
      },
      replace: async (secret) => {
        await this.request(`replace secret ${secret.metadata.name}`);
        const key = `${secret.metadata.namespace}/${secret.metadata.name}`;
        const current = this.secrets.get(key);
        if (!current || current.metadata.resourceVersion !== secret.metadata.resourceVersion) throw new Error('conflict');
        this.secrets.set(key, {
          ...structuredClone(secret),
          metadata: { ...structuredClone(secret.metadata), uid: current.metadata.uid, resourceVersion: this.version() },
        });
      },
      delete: async (namespace, name, preconditions) => {
        await this.request(`delete secret ${name}`);
        const current = this.secrets.get(`${namespace}/${name}`);
        if (
          current &&
          preconditions &&
          (current.metadata.uid !== preconditions.uid || current.metadata.resourceVersion !== preconditions.resourceVersion)
        ) {
          throw new Error('conflict: precondition failed');
        }
        this.secrets.delete(`${namespace}/${name}`);
      },
    },
  };

  secret(name: string): SecretObject | undefined {
    return this.secrets.get(`${NS}/${name}`);
  }
}

function appWithCredentials(index: number, password = `password-${index}`): DirectorApplication {
  return application(`id-${index}`, `app-${index}`, {
    bundles: [
      bundle(`b${index}`, 'Bundle', {
        apiDefinitions: [api(`api-${index}`, 'API')],
        defaultInstanceAuth: basicAuth(`user-${index}`, password, { additionalHeaders: { 'X-Tenant': [`tenant-${index}`] } }),
      }),
    ],
  });
}

function config(applications: DirectorApplication[]): RuntimeConfiguration {
  return { runtimeLabels: { isNormalized: 'true' }, applications };
}

function applyOptions(record = new SecretContentRecord(), concurrency?: number): ApplyOptions {
  return { ...options, secretContent: record, ...(concurrency ? { concurrency } : {}) };
}

t.test('a first sync creates every Application and its Secrets owned by the stored Application', async (t) => {
  const cluster = new FakeCluster();
  const report = await applyConfiguration(config([appWithCredentials(1), application('id-2', 'app-2')]), cluster.ports, applyOptions());
  t.same(report, {
    created: 2,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    failed: [],
    goEra: { adopted: [], deleted: [] },
    skippedDuplicates: [],
    message: null,
  });
  const app = cluster.apps.get('app-1')!;
  const credentials = cluster.secret('app-1-b1')!;
  t.same(credentials.metadata.ownerReferences, [
    { apiVersion: 'applicationconnector.kyma-project.io/v1alpha1', kind: 'Application', name: 'app-1', uid: app.metadata.uid },
  ]);
  t.same(credentials.metadata.labels, { app: 'app-1', bundleId: 'b1' });
  t.equal(decode(credentials.data!.password), 'password-1');
  t.equal(decode(cluster.secret('params-app-1-b1')!.data!.headers), '{"X-Tenant":["tenant-1"]}');
  t.same([...cluster.secrets.keys()].sort(), [`${NS}/app-1-b1`, `${NS}/params-app-1-b1`]);
});

t.test('a second cycle without changes makes no Kubernetes request at all', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  const apps = Array.from({ length: 50 }, (_, i) => appWithCredentials(i));
  await applyConfiguration(config(apps), cluster.ports, applyOptions(record));
  cluster.requests = [];
  const report = await applyConfiguration(config(apps), cluster.ports, applyOptions(record));
  t.same(cluster.requests, []);
  t.equal(report.unchanged, 50);
  t.equal(report.message, null);
});

t.test('after a restart the first cycle reads each Secret once and writes nothing when all match', async (t) => {
  const cluster = new FakeCluster();
  const apps = Array.from({ length: 5 }, (_, i) => appWithCredentials(i));
  await applyConfiguration(config(apps), cluster.ports, applyOptions());
  cluster.requests = [];
  const restarted = new SecretContentRecord();
  await applyConfiguration(config(apps), cluster.ports, applyOptions(restarted));
  t.equal(cluster.requests.length, 10);
  t.ok(cluster.requests.every((request) => request.startsWith('get secret')));
  cluster.requests = [];
  await applyConfiguration(config(apps), cluster.ports, applyOptions(restarted));
  t.same(cluster.requests, [], 'the reads were recorded');
});

t.test('when 1% of 1,000 applications change exactly those are written', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  const apps = Array.from({ length: 1000 }, (_, i) => appWithCredentials(i));
  await applyConfiguration(config(apps), cluster.ports, applyOptions(record));
  cluster.requests = [];
  const changed = apps.map((app, i) => (i % 100 === 7 ? { ...app, description: 'changed' } : app));
  const report = await applyConfiguration(config(changed), cluster.ports, applyOptions(record));
  t.equal(report.updated, 10);
  t.equal(report.unchanged, 990);
  t.same(cluster.requests.sort(), Array.from({ length: 10 }, (_, k) => `update application app-${k * 100 + 7}`).sort());
  t.equal(cluster.apps.get('app-107')!.spec.description, 'changed');
});

t.test('rotated credentials replace only that Secret, the Application is not written', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1), appWithCredentials(2)]), cluster.ports, applyOptions(record));
  cluster.requests = [];
  const report = await applyConfiguration(
    config([appWithCredentials(1, 'rotated-password'), appWithCredentials(2)]),
    cluster.ports,
    applyOptions(record),
  );
  t.same(cluster.requests, ['get secret app-1-b1', 'replace secret app-1-b1']);
  t.equal(decode(cluster.secret('app-1-b1')!.data!.password), 'rotated-password');
  t.same(report.unchanged, 2);
});

t.test('a Secret edited out of band is repaired once the record is cleared; user labels on it survive', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  const edited = cluster.secret('app-1-b1')!;
  edited.data!.password = Buffer.from('tampered').toString('base64');
  edited.metadata.labels = { ...edited.metadata.labels, 'user-label': 'kept' };
  record.clear();
  t.equal(record.size, 0);
  cluster.requests = [];
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  t.same(cluster.requests.sort(), ['get secret app-1-b1', 'get secret params-app-1-b1', 'replace secret app-1-b1']);
  t.equal(decode(cluster.secret('app-1-b1')!.data!.password), 'password-1');
  t.equal(cluster.secret('app-1-b1')!.metadata.labels!['user-label'], 'kept');
});

t.test('switching from Basic to OAuth rewrites the Secret with the new keys only', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  const switched = application('id-1', 'app-1', {
    bundles: [
      bundle('b1', 'Bundle', { apiDefinitions: [api('api-1', 'API')], defaultInstanceAuth: oauth('cid', 'csecret', 'https://oauth') }),
    ],
  });
  const report = await applyConfiguration(config([switched]), cluster.ports, applyOptions(record));
  t.equal(report.updated, 1);
  t.same(Object.keys(cluster.secret('app-1-b1')!.data!).sort(), ['clientId', 'clientSecret']);
  t.equal(cluster.secret('params-app-1-b1'), undefined, 'the request-parameter Secret the new spec does not use is deleted');
  t.equal(cluster.apps.get('app-1')!.spec.services[0].entries[0].credentials.type, 'OAuth');
});

t.test('an application Compass no longer assigns is deleted with its Secrets', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1), appWithCredentials(2)]), cluster.ports, applyOptions(record));
  cluster.requests = [];
  const report = await applyConfiguration(config([appWithCredentials(2)]), cluster.ports, applyOptions(record));
  t.equal(report.deleted, 1);
  t.same(
    cluster.requests,
    [
      'get secret app-1-b1',
      'delete secret app-1-b1',
      'get secret params-app-1-b1',
      'delete secret params-app-1-b1',
      'delete application app-1',
    ],
    "each Secret read (is it the agent's?) before it is deleted",
  );
  t.same([...cluster.apps.keys()], ['app-2']);
  t.same([...cluster.secrets.keys()].sort(), [`${NS}/app-2-b2`, `${NS}/params-app-2-b2`]);
  t.equal(record.size, 2, 'records of deleted Secrets are dropped');
});

t.test('a Secret that cannot be deleted keeps its Application for the next cycle', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  cluster.failures.set('delete secret app-1-b1', 'forbidden');
  const report = await applyConfiguration(config([]), cluster.ports, applyOptions(record));
  t.same(report.failed, [
    {
      name: 'app-1',
      applicationId: 'id-1',
      operation: 'delete',
      message: `deleting Secret ${NS}/app-1-b1 of Application app-1 failed: forbidden`,
    },
  ]);
  t.ok(cluster.apps.has('app-1'));
  cluster.failures.clear();
  const retry = await applyConfiguration(config([]), cluster.ports, applyOptions(record));
  t.equal(retry.deleted, 1);
  t.equal(cluster.apps.size, 0);
});

t.test('a failing application is reported and the others are applied', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  cluster.failures.set('create application app-3', 'admission webhook denied the request');
  cluster.failures.set('create secret app-5-b5', 'quota exceeded');
  const apps = Array.from({ length: 8 }, (_, i) => appWithCredentials(i));
  const report = await applyConfiguration(config(apps), cluster.ports, applyOptions(record));
  t.equal(report.created, 6);
  t.same(report.failed, [
    {
      name: 'app-3',
      applicationId: 'id-3',
      operation: 'create',
      message: 'creating Application app-3 failed: admission webhook denied the request',
    },
    {
      name: 'app-5',
      applicationId: 'id-5',
      operation: 'create',
      message: `creating Secret ${NS}/app-5-b5 of Application app-5 failed: quota exceeded`,
    },
  ]);
  t.equal(
    report.message,
    `2 of 8 applications failed: app-3 (create: creating Application app-3 failed: admission webhook denied the request); app-5 (create: creating Secret ${NS}/app-5-b5 of Application app-5 failed: quota exceeded)`,
  );
  cluster.failures.clear();
  const retry = await applyConfiguration(config(apps), cluster.ports, applyOptions(record));
  t.same({ created: retry.created, unchanged: retry.unchanged, failed: retry.failed }, { created: 1, unchanged: 7, failed: [] });
  t.ok(cluster.secret('app-5-b5'), 'the Secret that failed is written on the next cycle');
});

t.test('no credential value reaches the report, even when a port error echoes one', async (t) => {
  const cluster = new FakeCluster();
  const secretPassword = 's3cr3t-p4ssw0rd';
  const headerValue = 'tenant-header-secret';
  const app = application('id-1', 'app-1', {
    bundles: [
      bundle('b1', 'B', {
        apiDefinitions: [api('a', 'A')],
        defaultInstanceAuth: basicAuth('admin-user', secretPassword, { additionalHeaders: { 'X-Tenant': [headerValue] } }),
      }),
    ],
  });
  cluster.failures.set(
    'create secret app-1-b1',
    `invalid data: password=${secretPassword} (base64 ${Buffer.from(secretPassword).toString('base64')})`,
  );
  cluster.failures.set('create secret params-app-1-b1', `bad header ${headerValue}`);
  const report = await applyConfiguration(config([app]), cluster.ports, applyOptions());
  const text = JSON.stringify(report);
  t.equal(report.failed.length, 1);
  t.notOk(text.includes(secretPassword));
  t.notOk(text.includes(Buffer.from(secretPassword).toString('base64')));
  t.notOk(text.includes('admin-user'));
  t.match(
    report.message,
    /app-1 \(create: creating Secret kyma-system\/app-1-b1 of Application app-1 failed: invalid data: password=\[REDACTED\]/,
  );
  t.notOk(text.includes(headerValue));
});

t.test('port errors lose PEM blocks while long resource names in the agent wording stay readable', async (t) => {
  const cluster = new FakeCluster();
  const longName = `app-${'x'.repeat(70)}`;
  const app = application('id-long', longName, {
    bundles: [
      bundle('0f4e3e40-7a23-4b8c-9b7e-1b2c3d4e5f60', 'B', { apiDefinitions: [api('a', 'A')], defaultInstanceAuth: basicAuth('u', 'p') }),
    ],
  });
  const secretName = `app-${'x'.repeat(22)}-0f4e3e40-7a23-4b8c-9b7e-1b2c3d4e5f60`;
  cluster.failures.set(`create secret ${secretName}`, 'rejected -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----- by webhook');
  const report = await applyConfiguration(config([app]), cluster.ports, applyOptions());
  t.equal(
    report.failed[0].message,
    `creating Secret ${NS}/${secretName} of Application ${longName} failed: rejected [REDACTED] by webhook`,
  );
});

t.test('a name taken by an object the agent does not manage is reported and the object left alone', async (t) => {
  const cluster = new FakeCluster();
  const userApp = {
    apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'app-1', uid: 'user-uid', resourceVersion: '1', labels: { owner: 'user' } },
    spec: {
      description: 'mine',
      services: [],
      labels: null,
      displayName: '',
      providerDisplayName: '',
      longDescription: '',
      skipVerify: false,
      encodeUrl: true,
    },
  } as ApplicationObject;
  cluster.apps.set('app-1', structuredClone(userApp));
  const report = await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions());
  t.same(cluster.requests, ['create application app-1'], 'no update is attempted and no Secret written');
  t.same(cluster.apps.get('app-1'), userApp);
  t.equal(report.failed[0].operation, 'create');
  t.match(report.failed[0].message, /app-1 already exists and is not managed by the runtime agent/);

  // carrying the label without compassMetadata is not enough to be managed
  const labelled = structuredClone(userApp);
  labelled.metadata.labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
  cluster.apps.set('app-1', labelled);
  cluster.requests = [];
  const second = await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions());
  t.same(cluster.requests, []);
  t.match(second.failed[0].message, /not managed by the runtime agent/);
  await applyConfiguration(config([]), cluster.ports, applyOptions());
  t.ok(cluster.apps.has('app-1'), 'never deleted');
});

t.test('duplicate names after normalisation are skipped and named, the others applied', async (t) => {
  const cluster = new FakeCluster();
  const report = await applyConfiguration(
    { runtimeLabels: {}, applications: [application('id-1', 'My.App'), application('id-2', 'my app'), application('id-3', 'Other')] },
    cluster.ports,
    applyOptions(),
  );
  t.same([...cluster.apps.keys()], ['mp-other']);
  t.same(report.skippedDuplicates, ['mp-my-app']);
  t.equal(report.created, 1);
  t.equal(
    report.message,
    '2 of 3 applications failed: mp-my-app (skipped: Compass applications id-1, id-2 have the same name after normalisation; rename all but one in Compass)',
  );
});

t.test('the summary lists five problems and counts the rest', async (t) => {
  const cluster = new FakeCluster();
  for (let i = 0; i < 7; i++) cluster.failures.set(`create application app-${i}`, 'boom\nsecond line');
  const report = await applyConfiguration(
    config(Array.from({ length: 7 }, (_, i) => application(`id-${i}`, `app-${i}`))),
    cluster.ports,
    applyOptions(),
  );
  t.match(report.message, /^7 of 7 applications failed: app-0 \(create: creating Application app-0 failed: boom second line\);/);
  t.match(report.message, /; and 2 more$/);
  t.notOk(report.message!.includes('\n'));
});

t.test('applications are processed with bounded concurrency', async (t) => {
  const cluster = new FakeCluster();
  const apps = Array.from({ length: 40 }, (_, i) => application(`id-${i}`, `app-${i}`));
  await applyConfiguration(config(apps), cluster.ports, applyOptions(new SecretContentRecord(), 4));
  t.equal(cluster.maxInFlight, 4);
  const defaults = new FakeCluster();
  await applyConfiguration(config(apps), defaults.ports, applyOptions());
  t.equal(defaults.maxInFlight, 16);
});

t.test('isAlreadyExists tells a taken name from a write conflict', async (t) => {
  t.ok(isAlreadyExists(new AlreadyExistsError('x')));
  t.ok(isAlreadyExists(Object.assign(new Error('x'), { status: 409, reason: 'AlreadyExists' })), 'a KubeError with reason AlreadyExists');
  t.ok(isAlreadyExists({ reason: 'AlreadyExists' }));
  t.notOk(
    isAlreadyExists(Object.assign(new Error('x'), { status: 409, reason: 'Conflict' })),
    'a 409 Conflict is a race, not a foreign object',
  );
  t.notOk(isAlreadyExists({ statusCode: 409 }));
  t.notOk(isAlreadyExists(new Error('x')));
  t.notOk(isAlreadyExists(null));
});

/** A Secret as someone else left it: the right name, maybe the agent's labels, not owned by the Application. */
function foreignSecret(
  name: string,
  labels: Record<string, string>,
  ownerReferences?: SecretObject['metadata']['ownerReferences'],
): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: '1', labels, ...(ownerReferences ? { ownerReferences } : {}) },
    type: 'Opaque',
    data: { username: Buffer.from('someone').toString('base64'), password: Buffer.from('theirs').toString('base64') },
  };
}

t.test(
  "a Secret with the right name and labels but no ownerReference to the Application is neither replaced nor deleted; the agent's own is",
  async (t) => {
    const cluster = new FakeCluster();
    const record = new SecretContentRecord();
    const app = application('id-1', 'app-1', {
      bundles: ['b1', 'b2', 'b3'].map((id) =>
        bundle(id, id, { apiDefinitions: [api(`api-${id}`, 'API')], defaultInstanceAuth: basicAuth(`user-${id}`, `password-${id}`) }),
      ),
    });
    const noOwner = foreignSecret('app-1-b1', { app: 'app-1', bundleId: 'b1' });
    const otherOwner = foreignSecret('app-1-b2', { app: 'app-1', bundleId: 'b2' }, [
      { apiVersion: 'applicationconnector.kyma-project.io/v1alpha1', kind: 'Application', name: 'app-1', uid: 'uid-of-an-earlier-app-1' },
    ]);
    cluster.secrets.set(`${NS}/app-1-b1`, structuredClone(noOwner));
    cluster.secrets.set(`${NS}/app-1-b2`, structuredClone(otherOwner));

    const first = await applyConfiguration(config([app]), cluster.ports, applyOptions(record));
    const uid = cluster.apps.get('app-1')!.metadata.uid;
    t.same(cluster.secret('app-1-b1'), noOwner, 'the Secret without an owner is untouched');
    t.same(cluster.secret('app-1-b2'), otherOwner, 'the Secret of another Application (uid) is untouched');
    t.equal(decode(cluster.secret('app-1-b3')!.data!.password), 'password-b3', "the free name gets the agent's Secret");
    t.equal(first.failed.length, 1);
    t.match(first.failed[0], { name: 'app-1', applicationId: 'id-1', operation: 'create' });
    t.match(
      first.failed[0].message,
      `Secret ${NS}/app-1-b1 of Application app-1 was not written: a Secret of that name exists and is not the agent's (it has no ownerReference to Application app-1 (uid ${uid}))`,
    );
    t.notMatch(first.message, /password-b|someone|theirs/);

    cluster.requests = [];
    const second = await applyConfiguration(config([app]), cluster.ports, applyOptions(record));
    t.match(
      second.failed[0].message,
      /app-1-b1 .*not the agent's .*app-1-b2 .*belongs to Application app-1 \(uid uid-of-an-earlier-app-1\), not to Application app-1 \(uid uid-app-1/s,
    );
    t.notOk(
      cluster.requests.some((request) => /^(create|replace|delete) secret app-1-b[12]$/.test(request)),
      'no write to either on later cycles',
    );

    // The owned one is replaced when its credentials rotate, the foreign ones still are not.
    const rotated = application('id-1', 'app-1', {
      bundles: ['b1', 'b2', 'b3'].map((id) =>
        bundle(id, id, { apiDefinitions: [api(`api-${id}`, 'API')], defaultInstanceAuth: basicAuth(`user-${id}`, `rotated-${id}`) }),
      ),
    });
    await applyConfiguration(config([rotated]), cluster.ports, applyOptions(record));
    t.equal(decode(cluster.secret('app-1-b3')!.data!.password), 'rotated-b3', "the agent's own Secret IS replaced");
    t.same(cluster.secret('app-1-b1'), noOwner);
    t.same(cluster.secret('app-1-b2'), otherOwner);

    // Removed from Compass: the Application and its own Secret go, the foreign ones stay, and the report says so.
    const removed = await applyConfiguration(config([]), cluster.ports, applyOptions(record));
    t.notOk(cluster.apps.has('app-1'), 'the Application is deleted');
    t.equal(cluster.secret('app-1-b3'), undefined, "the agent's own Secret IS deleted");
    t.same(cluster.secret('app-1-b1'), noOwner);
    t.same(cluster.secret('app-1-b2'), otherOwner);
    t.match(removed.failed, [{ name: 'app-1', operation: 'delete' }]);
    t.match(
      removed.failed[0].message,
      /^Application app-1 was deleted; Secret kyma-system\/app-1-b1 of Application app-1 was not deleted: it is not the agent's \(it has no ownerReference/,
    );
    t.match(
      removed.failed[0].message,
      /app-1-b2 of Application app-1 was not deleted: it is not the agent's \(it belongs to Application app-1 \(uid uid-of-an-earlier-app-1\)/,
    );
  },
);

t.test("an owned Secret without the agent's labels is not the agent's either", async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  const secret = cluster.secret('app-1-b1')!;
  secret.metadata.labels = { app: 'someone-else', bundleId: 'b1' };
  const before = structuredClone(secret);
  record.clear();
  const report = await applyConfiguration(config([appWithCredentials(1, 'changed')]), cluster.ports, applyOptions(record));
  t.same(cluster.secret('app-1-b1'), before);
  t.match(report.failed[0].message, /app-1-b1 .*not the agent's \(it lacks the label app=app-1\)/);
});

t.test("the agent's own Secrets are never requested, written or deleted, even when a stored Application names them", async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  const protectedSecrets = [
    { namespace: NS, name: 'app-1-certificates', role: "the agent's client certificate Secret (APP_CLUSTER_CERTIFICATES_SECRET)" },
  ];
  const keySecret = foreignSecret('app-1-certificates', {});
  cluster.secrets.set(`${NS}/app-1-certificates`, structuredClone(keySecret));
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, { ...applyOptions(record), protectedSecrets });

  // A user points the managed Application at the key Secret; the agent reverts the edit and would
  // delete the Secret the edited CR named: not this one.
  const edited = cluster.apps.get('app-1')!;
  edited.spec.services.push({
    id: 'certificates',
    identifier: '',
    name: 'x',
    displayName: 'x',
    description: 'x',
    providerDisplayName: '',
    entries: [
      {
        type: 'API',
        gatewayUrl: '',
        centralGatewayUrl: '',
        targetUrl: '',
        credentials: { type: 'Basic', secretName: 'app-1-certificates' },
      },
    ],
  });
  cluster.requests = [];
  const reverted = await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, { ...applyOptions(record), protectedSecrets });
  t.notOk(
    cluster.requests.some((request) => request.endsWith(' app-1-certificates')),
    'not even read',
  );
  t.same(cluster.secret('app-1-certificates'), keySecret);
  t.equal(cluster.apps.get('app-1')!.spec.services.length, 1, 'the edit is reverted');
  t.match(
    reverted.failed[0].message,
    /^Application app-1 was updated; Secret kyma-system\/app-1-certificates of Application app-1 was not deleted: it is the agent's client certificate Secret/,
  );

  // The same edit, then Compass removes the application: the Application goes, the key Secret stays.
  cluster.apps.get('app-1')!.spec.services.push(structuredClone(edited.spec.services[1]));
  cluster.requests = [];
  await applyConfiguration(config([]), cluster.ports, { ...applyOptions(record), protectedSecrets });
  t.notOk(cluster.apps.has('app-1'));
  t.notOk(cluster.requests.some((request) => request.endsWith(' app-1-certificates')));
  t.same(cluster.secret('app-1-certificates'), keySecret);
});

t.test('a malformed application fails alone: its Application is kept, the others are created, updated and deleted', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(
    config([appWithCredentials(1), appWithCredentials(2), appWithCredentials(3)]),
    cluster.ports,
    applyOptions(record),
  );
  const kept = structuredClone(cluster.apps.get('app-1'));
  const keptSecret = structuredClone(cluster.secret('app-1-b1'));

  const renamedToNothing = { ...appWithCredentials(1), name: '' };
  const badBundle = application('id-4', 'app-4', { bundles: [bundle('Not/An-Id', 'B', { defaultInstanceAuth: basicAuth('u', 'p') })] });
  const changed = { ...appWithCredentials(2), description: 'changed' };
  const report = await applyConfiguration(
    config([renamedToNothing, badBundle, changed, appWithCredentials(5)]),
    cluster.ports,
    applyOptions(record),
  );

  t.same(cluster.apps.get('app-1'), kept, 'the Application of the application whose name became empty is kept, as it was');
  t.same(cluster.secret('app-1-b1'), keptSecret);
  t.equal(cluster.apps.get('app-2')!.spec.description, 'changed', 'updated');
  t.notOk(cluster.apps.has('app-3'), 'deleted');
  t.ok(cluster.apps.has('app-5'), 'created');
  t.notOk(cluster.apps.has('app-4'), 'the malformed new one is not created');
  t.notOk([...cluster.secrets.keys()].some((key) => key.includes('Not/An-Id')));
  t.same(
    { created: report.created, updated: report.updated, deleted: report.deleted, unchanged: report.unchanged },
    { created: 1, updated: 1, deleted: 1, unchanged: 0 },
  );
  t.same(report.failed.map((failure) => [failure.applicationId, failure.operation]).sort(), [
    ['id-1', 'validate'],
    ['id-4', 'validate'],
  ]);
  t.match(report.message, /^2 of 5 applications failed: /);
  t.match(report.message, /Compass application id-1 named "" is not applied: its name is empty; its existing Application, if any, is kept/);
  t.match(report.message, /Compass application id-4 named "app-4" is not applied: bundle id "Not\/An-Id" is not a Compass id/);
  t.notMatch(report.message, /password|\bp\b.*\bu\b/);

  // Fixed in Compass: applied on the next cycle.
  const fixed = await applyConfiguration(
    config([appWithCredentials(1), changed, appWithCredentials(5)]),
    cluster.ports,
    applyOptions(record),
  );
  t.equal(fixed.message, null);
});

t.test('a Secret that changed between the read and the write is not overwritten (the write is conditional)', async (t) => {
  const cluster = new FakeCluster();
  const record = new SecretContentRecord();
  await applyConfiguration(config([appWithCredentials(1)]), cluster.ports, applyOptions(record));
  const ports = cluster.ports;
  const racing: SyncPorts = {
    ...ports,
    secrets: {
      ...ports.secrets,
      // Someone replaces the Secret right after the agent read it.
      get: async (namespace, name) => {
        const read = await ports.secrets.get(namespace, name);
        const stored = cluster.secrets.get(`${namespace}/${name}`);
        if (stored) stored.metadata.resourceVersion = `${stored.metadata.resourceVersion}-changed`;
        return read;
      },
    },
  };
  const report = await applyConfiguration(config([appWithCredentials(1, 'rotated')]), racing, applyOptions(record));
  t.equal(decode(cluster.secret('app-1-b1')!.data!.password), 'password-1', 'not overwritten');
  t.match(report.failed[0].message, /replacing Secret kyma-system\/app-1-b1 of Application app-1 failed: conflict/);
});
