// kubectl v1.32, a client nobody here wrote, against the simulator: apply, get, watch, patch, delete, printer columns.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';

const KUBECTL = '/usr/bin/kubectl';
const CRDS = new URL('../../crds/', import.meta.url).pathname;

if (!existsSync(KUBECTL)) {
  t.plan(0, `skipped: ${KUBECTL} is absent; install kubectl v1.32 to run the kubectl cross-check`);
} else {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
  let sim: KubeSim;
  let kubeconfig: string;
  // Asynchronous on purpose: the simulator runs in this process and must keep serving.
  const kubectl = async (...args: string[]) => (await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;

  t.before(async () => {
    sim = await startKubeSim();
    kubeconfig = await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  t.teardown(() => sim.close());

  t.test('apply -f creates and then updates a Secret; get -o yaml and -o jsonpath read it back', async (t) => {
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\n  labels:\n    tier: one\nstringData:\n  key: first\n');
    t.match(await kubectl('apply', '-f', file), /secret\/demo created/);
    writeFileSync(file, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\n  labels:\n    tier: two\nstringData:\n  key: second\n');
    t.match(await kubectl('apply', '-f', file), /secret\/demo configured/);
    const yaml = await kubectl('get', 'secret', 'demo', '-o', 'yaml');
    t.match(yaml, /tier: two/);
    t.match(yaml, new RegExp(`key: ${Buffer.from('second').toString('base64')}`));
    t.equal(await kubectl('get', 'secret', 'demo', '-o', 'jsonpath={.metadata.labels.tier}'), 'two');
    t.match(await kubectl('get', 'secrets'), /NAME\s+TYPE\s+DATA\s+AGE\ndemo\s+Opaque\s+1\s+\d+s/);
    t.ok(
      sim.requestLog.some((e) => e.verb === 'patch' && e.name === 'demo' && e.status === 200),
      'the second apply was a patch',
    );
  });

  t.test('apply -f crds/ serves the CRDs; get crd -o yaml shows them established', async (t) => {
    t.match(await kubectl('apply', '-f', CRDS), /compassconnections\.compass\.kyma-project\.io created/);
    const crd = await kubectl('get', 'crd', 'compassconnections.compass.kyma-project.io', '-o', 'yaml');
    t.match(crd, /scope: Cluster/);
    t.match(crd, /type: Established/);
    t.match(await kubectl('get', 'crds'), /applications\.applicationconnector\.kyma-project\.io/);
    t.match(
      await kubectl('api-resources', '--api-group=applicationconnector.kyma-project.io'),
      /applications\s+app\s+applicationconnector\.kyma-project\.io\/v1alpha1\s+false\s+Application/,
    );
  });

  t.test('get compassconnection prints the printer columns; patch --type merge and --subresource status', async (t) => {
    const file = join(dir, 'cc.yaml');
    writeFileSync(
      file,
      'apiVersion: compass.kyma-project.io/v1alpha1\nkind: CompassConnection\nmetadata:\n  name: compass-connection\nspec:\n  managementInfo:\n    connectorUrl: https://connector\n    directorUrl: https://director\n',
    );
    await kubectl('apply', '-f', file);
    t.match(
      await kubectl(
        'patch',
        'compassconnection',
        'compass-connection',
        '--type',
        'merge',
        '--subresource',
        'status',
        '-p',
        JSON.stringify({
          status: {
            connectionState: 'Synchronized',
            connectionStatus: { certificateStatus: { notAfter: '2099-01-01T00:00:00Z' } },
            synchronizationStatus: { lastSuccessfulApplication: new Date().toISOString() },
          },
        }),
      ),
      /patched/,
    );
    const table = await kubectl('get', 'compassconnection');
    t.match(table, /NAME\s+STATE\s+LAST SYNC\s+CERT EXPIRY\s+AGE/);
    t.match(table, /compass-connection\s+Synchronized\s+\d+s\s+2099-01-01T00:00:00Z\s+\d+s/);
    await kubectl('patch', 'compassconnection', 'compass-connection', '--type', 'merge', '-p', '{"spec":{"resyncNow":true}}');
    t.equal(
      await kubectl('get', 'compassconnection', 'compass-connection', '-o', 'jsonpath={.spec.resyncNow} {.metadata.generation}'),
      'true 2',
    );
    await kubectl('apply', '-f', join(dir, 'secret.yaml'));
    const app = join(dir, 'app.yaml');
    writeFileSync(
      app,
      'apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: mp-app\nspec:\n  compassMetadata:\n    applicationId: 0f1e\n    authentication:\n      clientIds: []\n',
    );
    await kubectl('apply', '-f', app);
    t.match(await kubectl('get', 'app'), /NAME\s+APPLICATION ID\s+AGE\nmp-app\s+0f1e\s+\d+s/);
  });

  t.test('get -w sees a change, and delete removes the object', async (t) => {
    const watcher = spawn(KUBECTL, [
      '--kubeconfig',
      kubeconfig,
      'get',
      'secret',
      'demo',
      '-w',
      '-o',
      'jsonpath={.metadata.labels.tier}{"\\n"}',
    ]);
    t.teardown(() => watcher.kill());
    let output = '';
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (output.includes(text)) resolve();
        };
        watcher.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          check();
        });
        watcher.on('exit', (code) =>
          reject(new Error(`kubectl get -w exited with ${code} before printing ${text}; stderr and stdout: ${output}`)),
        );
        check();
      });
    await seen('two');
    await kubectl('patch', 'secret', 'demo', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"three"}}}');
    await seen('three');
    t.pass('the watch printed the patched label');
    t.match(await kubectl('delete', 'secret', 'demo'), /secret "demo" deleted/);
    await t.rejects(kubectl('get', 'secret', 'demo'), /secrets "demo" not found/);
  });
}
