// kubectl v1.32 against the simulator's schema validation: what `kubectl apply` prints for an
// invalid CompassConnection (the text a real cluster's Status makes kubectl print), server-side
// field validation chosen from /openapi/v3, --validate=false pruning, defaults, and kubectl explain.
import t from 'tap';
import { execFile } from 'node:child_process';
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
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-validation-'));
  let sim: KubeSim;
  let kubeconfig: string;
  // A private cache directory: discovery and OpenAPI answers of other runs never leak in.
  const kubectl = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const manifest = (name: string, yaml: string) => {
    const file = join(dir, name);
    writeFileSync(file, yaml);
    return file;
  };
  const connection = (spec: string) =>
    `apiVersion: compass.kyma-project.io/v1alpha1\nkind: CompassConnection\nmetadata:\n  name: compass-connection\nspec:\n${spec}`;

  t.before(async () => {
    sim = await startKubeSim({ crdDir: CRDS });
    kubeconfig = await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  t.teardown(() => sim.close());

  t.test("apply of a CompassConnection with a wrong type fails with the field path and the API server's message", async (t) => {
    const file = manifest('wrong-type.yaml', connection('  managementInfo:\n    connectorUrl: 5\n    directorUrl: https://director\n'));
    const result = await kubectl('apply', '-f', file);
    t.equal(result.code, 1);
    t.equal(
      result.stderr,
      'The CompassConnection "compass-connection" is invalid: spec.managementInfo.connectorUrl: Invalid value: "integer": spec.managementInfo.connectorUrl in body must be of type string: "integer"\n',
    );
    t.ok(
      sim.requestLog.some((e) => e.verb === 'create' && e.resource === 'compassconnections' && e.status === 422),
      'the server refused it, not kubectl',
    );
  });

  t.test('apply of a CompassConnection without a required field fails naming the missing field', async (t) => {
    const file = manifest('missing.yaml', connection('  managementInfo:\n    directorUrl: https://director\n'));
    const result = await kubectl('apply', '-f', file);
    t.equal(result.code, 1);
    t.equal(result.stderr, 'The CompassConnection "compass-connection" is invalid: spec.managementInfo.connectorUrl: Required value\n');
  });

  t.test("an unknown field fails under kubectl's default validation, which it leaves to the server", async (t) => {
    const file = manifest(
      'unknown.yaml',
      connection('  surprise: true\n  managementInfo:\n    connectorUrl: https://connector\n    directorUrl: https://director\n'),
    );
    const result = await kubectl('apply', '-f', file);
    t.equal(result.code, 1);
    t.equal(
      result.stderr,
      `Error from server (BadRequest): error when creating "${file}": CompassConnection in version "v1alpha1" cannot be handled as a CompassConnection: strict decoding error: unknown field "spec.surprise"\n`,
    );
    t.ok(
      sim.requestLog.some((e) => e.verb === 'create' && e.status === 400 && e.path.includes('fieldValidation=Strict')),
      'kubectl asked the server for Strict',
    );
    // (kubectl caches the hashed document on disk: it may have read it for an earlier apply of this run)
    t.ok(
      sim.requestLog.some((e) => e.path.startsWith('/openapi/v3/apis/compass.kyma-project.io/v1alpha1?hash=') && e.status === 200),
      'having read the OpenAPI v3 document',
    );
    t.equal((await kubectl('get', 'compassconnection', 'compass-connection')).code, 1, 'nothing was created');
  });

  t.test('server-side apply refuses an unknown field whatever the validation: its typed conversion fails', async (t) => {
    const file = manifest(
      'ssa.yaml',
      connection('  surprise: true\n  managementInfo:\n    connectorUrl: https://connector\n    directorUrl: https://director\n'),
    );
    const result = await kubectl('apply', '--server-side', '--validate=false', '-f', file);
    t.equal(result.code, 1);
    t.equal(
      result.stderr,
      'Error from server: failed to create typed patch object (/compass-connection; compass.kyma-project.io/v1alpha1, Kind=CompassConnection): .spec.surprise: field not declared in schema\n',
    );
    t.ok(
      sim.requestLog.some((e) => e.verb === 'patch' && e.status === 500 && e.path.includes('fieldValidation=Ignore')),
      'a 500, although fieldValidation was Ignore',
    );
  });

  t.test('with --validate=false the unknown field is pruned and the object stored', async (t) => {
    const file = manifest(
      'unknown.yaml',
      connection('  surprise: true\n  managementInfo:\n    connectorUrl: https://connector\n    directorUrl: https://director\n'),
    );
    const result = await kubectl('apply', '--validate=false', '-f', file);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /compassconnection.compass.kyma-project.io\/compass-connection created/);
    const spec = JSON.parse((await kubectl('get', 'compassconnection', 'compass-connection', '-o', 'jsonpath={.spec}')).stdout);
    t.same(spec, { managementInfo: { connectorUrl: 'https://connector', directorUrl: 'https://director' } });
  });

  t.test('with --validate=warn an unknown field in an update is a warning and is dropped', async (t) => {
    const file = manifest(
      'warn.yaml',
      connection('  other: 1\n  managementInfo:\n    connectorUrl: https://connector\n    directorUrl: https://director\n'),
    );
    const result = await kubectl('apply', '--validate=warn', '-f', file);
    t.equal(result.code, 0);
    t.match(result.stdout, /configured/);
    t.equal(result.stderr, 'Warning: unknown field "spec.other"\n');
    t.equal((await kubectl('get', 'compassconnection', 'compass-connection', '-o', 'jsonpath={.spec.other}')).stdout, '');
  });

  t.test('defaults from the schema: an Application gets spec.encodeUrl=true', async (t) => {
    const file = manifest(
      'app.yaml',
      'apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: defaulted\nspec:\n  description: no encodeUrl given\n',
    );
    t.equal((await kubectl('apply', '-f', file)).code, 0);
    t.equal((await kubectl('get', 'application', 'defaulted', '-o', 'jsonpath={.spec.encodeUrl}')).stdout, 'true');
  });

  t.test('kubectl explain compassconnection.spec and .status print their fields', async (t) => {
    const spec = await kubectl('explain', 'compassconnection.spec');
    t.equal(spec.code, 0, spec.stderr);
    t.match(spec.stdout, /^GROUP:\s+compass\.kyma-project\.io\nKIND:\s+CompassConnection\nVERSION:\s+v1alpha1\n\nFIELD: spec <Object>\n/);
    t.match(spec.stdout, /\n {2}managementInfo\t<Object> -required-\n/);
    t.match(spec.stdout, /\n {2}refreshCredentialsNow\t<boolean>\n/);
    t.match(spec.stdout, /\n {2}resyncNow\t<boolean>\n/);
    const status = await kubectl('explain', 'compassconnection.status');
    t.equal(status.code, 0, status.stderr);
    for (const field of [
      'conditions\t<[]Object>',
      'connectionState\t<string> -required-',
      'connectionStatus\t<Object> -required-',
      'observedGeneration\t<integer>',
      'synchronizationStatus\t<Object>',
    ]) {
      t.ok(status.stdout.includes(`\n  ${field}\n`), field);
    }
    const nested = await kubectl('explain', 'compassconnection.status.conditions.status');
    t.match(nested.stdout, /FIELD: status <string>\nENUM:\n {4}True\n {4}False\n {4}Unknown\n/, 'enums come through');
  });
}
