// `runtime-agent run` and `revoke` as an operator meets them (bin/runtime-agent, the bundle), against
// the simulators: revoke says that the agent reconnects by itself (no CR to delete) and a second
// revoke says the certificate is already revoked; the event log file gets a segment per start and
// replays segment by segment; APP_QUERY_LOGGING=true shows the operations at the default log level.
import t from 'tap';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../../src/commands/simulators.js';
import { writeSimFiles } from '../../src/commands/sim.js';
import { installAgent } from '../helpers/agent-install.js';
import { CLIENT_SECRET, CONFIG_SECRET, FAST_ENV } from '../helpers/agent-harness.js';
import { certificateSha256, sleep } from '../helpers/connection-checks.js';
import { NOT_BUILT, spawnCli, type CliProcess } from '../helpers/cli-process.js';
import { REVOKED_AT_ANNOTATION, REVOKED_CERTIFICATE_ANNOTATION } from '../../src/commands/revoke.js';
import { parseEventLog } from '../../src/event-log.js';

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

t.test(
  'revoke: the agent reconnects by itself, a second revoke says already revoked; the event log keeps both runs',
  { skip: NOT_BUILT },
  async (t) => {
    const sims = await startSimulators({ apps: 2 });
    t.teardown(() => sims.close());
    const dir = mkdtempSync(join(tmpdir(), 'revoke-'));
    const info = writeSimFiles(dir, sims);
    await installAgent(sims, info.kube.kubeconfig);
    const writeConfig = async (token: string) => {
      if (sims.kube.get('v1', 'Secret', CONFIG_SECRET.name, CONFIG_SECRET.namespace))
        await sims.kube.delete('v1', 'Secret', CONFIG_SECRET.name, CONFIG_SECRET.namespace);
      await sims.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...CONFIG_SECRET },
        stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: token },
      });
    };
    const tokens = [info.token];
    await writeConfig(info.token);
    const eventLog = join(dir, 'events.jsonl');
    const env = {
      ...FAST_ENV,
      KUBECONFIG: info.kube.agentKubeconfig,
      NODE_EXTRA_CA_CERTS: info.compass.caFile,
      APP_EVENT_LOG_FILE: eventLog,
      APP_QUERY_LOGGING: 'true',
    };
    const cr = () =>
      sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
        { metadata: { uid: string }; status?: { connectionState?: string } } | undefined;
    const clientSecret = () =>
      sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace) as
        { metadata: { annotations?: Record<string, string> }; data?: Record<string, string> } | undefined;
    const certificate = () => {
      const crt = clientSecret()?.data?.crt;
      return crt ? certificateSha256(Buffer.from(crt, 'base64').toString('utf8')) : undefined;
    };
    const processes: CliProcess[] = [];
    const cli = (args: string[]) => {
      const process = spawnCli(args, env);
      processes.push(process);
      return process;
    };
    t.teardown(() => processes.forEach((p) => p.kill()));

    const agent = cli(['run']);
    await until('Synchronized', () => cr()?.status?.connectionState === 'Synchronized');
    const uid = cr()!.metadata.uid;
    const first = certificate()!;

    await t.test('APP_QUERY_LOGGING=true at the default log level: the operations are in the log at debug level', async (t) => {
      const lines = agent.stdout.map(
        (l) => JSON.parse(l) as { level: string; msg: string; graphql?: { operation: string; requestId: string; status: number } },
      );
      const operations = lines.filter((l) => l.msg === 'GraphQL operation');
      t.ok(
        operations.some((l) => l.graphql?.operation === 'configuration' && l.graphql.status === 200),
        'the token-secured configuration',
      );
      t.ok(
        operations.every((l) => l.level === 'debug'),
        'at debug level',
      );
      t.notOk(
        lines.some((l) => l.level === 'debug' && l.msg !== 'GraphQL operation'),
        'while the rest stays at info (APP_LOG_LEVEL)',
      );
    });

    await t.test('revoke names no CR to delete: the agent reconnects by itself once a fresh token is there', async (t) => {
      const revoke = cli(['revoke']);
      t.equal(await revoke.exit, 0, `revoke exits 0 (${revoke.stderr.join(' ')})`);
      const said = revoke.stdout.join('\n');
      t.match(said, /^revoked the client certificate valid until \d{4}-/);
      t.match(
        said,
        `the agent can no longer use this certificate: it reconnects by itself as soon as the configuration Secret ${CONFIG_SECRET.namespace}/${CONFIG_SECRET.name} holds a fresh one-time token (no need to delete compass-connection)`,
      );
      t.notMatch(said, /(and|then) delete (the )?compass-?connection|kubectl delete/i, 'no instruction to delete the CR');
      t.equal(
        sims.compass.control.issuedCertificates().find((c) => c.sha256 === first)?.revoked,
        true,
        'Compass marks the certificate revoked',
      );
      t.equal(clientSecret()?.metadata.annotations?.[REVOKED_CERTIFICATE_ANNOTATION], first, 'the revocation is recorded on the Secret');
      t.match(clientSecret()?.metadata.annotations?.[REVOKED_AT_ANNOTATION], /^\d{4}-\d\d-\d\dT/);

      const revocations = () => sims.compass.control.callLog().filter((c) => c.operations.includes('revokeCertificate')).length;
      const sent = revocations();
      const again = cli(['revoke']);
      t.equal(await again.exit, 0, 'a second revoke exits 0');
      t.match(
        again.stdout.join('\n'),
        /^the client certificate in Secret kyma-system\/cluster-client-certificates \(valid until [^)]+\) is already revoked: runtime-agent revoke revoked it at \d{4}-[^;]+; nothing was sent to Compass/,
      );
      t.equal(revocations(), sent, 'and asked Compass nothing');

      await until(
        'ConnectionMaintenanceFailed (Compass refuses the revoked certificate)',
        () => cr()?.status?.connectionState === 'ConnectionMaintenanceFailed',
      );
      const fresh = sims.compass.mintToken();
      tokens.push(fresh);
      await writeConfig(fresh);
      await until('Synchronized with a new certificate', () => cr()?.status?.connectionState === 'Synchronized' && certificate() !== first);
      t.equal(cr()!.metadata.uid, uid, 'the same compass-connection: nobody deleted it');
    });

    await t.test('a certificate Compass refuses without a record of ours: revoke exits 1 and says it may be revoked already', async (t) => {
      const current = certificate()!;
      sims.compass.control.revokeCertificate(current);
      const revoke = cli(['revoke']);
      t.equal(await revoke.exit, 1);
      t.match(
        revoke.stderr.at(-1),
        /^runtime-agent revoke: Compass refuses the client certificate in Secret kyma-system\/cluster-client-certificates \(valid until [^)]+\), so it cannot revoke it with it: the certificate is already revoked \(by another revoke or by Compass's operators\) or Compass does not accept it at all/,
      );
    });

    await t.test('the event log file: a segment per start, replayed segment by segment', async (t) => {
      agent.child.kill('SIGTERM');
      t.equal(await agent.exit, 0, 'SIGTERM stops the agent with exit code 0');
      const second = cli(['run']);
      await until(
        'the second run past its start',
        () => (parseEventLog(readFileSync(eventLog, 'utf8')).segments[1]?.entries.length ?? 0) >= 3,
      );
      second.child.kill('SIGTERM');
      t.equal(await second.exit, 0);
      t.equal(statSync(eventLog).mode & 0o777, 0o600, 'the file is 0600');
      const replay = cli(['replay', eventLog]);
      t.equal(await replay.exit, 0, `replay exits 0: ${[...replay.stdout, ...replay.stderr].join('\n')}`);
      t.match(replay.stdout.join('\n'), /reproduces: \d+ events in 2 segments/);
      t.match(replay.stdout.join('\n'), /segment 1, lines 1-\d+, begins with an agent start: reproduces \d+ events/);
      t.match(replay.stdout.join('\n'), /segment 2, lines \d+-\d+, begins with an agent start: reproduces \d+ events/);
    });

    const output = processes.flatMap((p) => [...p.stdout, ...p.stderr]).join('\n');
    for (const token of tokens) t.notOk(output.includes(token), 'no token in the output of run, revoke or replay');
    t.notMatch(output, /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)|LS0tLS1CRUdJTi/, 'no key or certificate in the output');
  },
);
