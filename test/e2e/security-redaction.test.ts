// Acceptance: the agent's own secrets are removed by value wherever they could leave the process. A
// Compass that echoes the one-time token in an error body (a short token, a JWT-shaped one, the
// follow-up token of the Connector) does not get it into the CR status, the log, the event log (in
// memory and on disk), /debug or the metrics; upstream bodies are cut to a bounded length.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type Harness } from '../helpers/agent-harness.js';
import { SecretLedger } from '../helpers/connection-checks.js';

const NO_RETRY = { APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' };

/** Stops the agent and removes the CR, so that each case waits for a status of its own. */
async function reset(h: Harness): Promise<void> {
  await h.stopAgent();
  h.sims.compass.control.clearFaults();
  h.logs.length = 0;
  if (h.connection()) await h.sims.kube.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
}

/** Every text the agent lets out: status, log, event log (memory and file), /debug, metrics. */
async function outputs(h: Harness, eventLogFile: string): Promise<Array<[string, string]>> {
  return [
    ['the CompassConnection', JSON.stringify(h.connection() ?? {})],
    ['the log', h.logs.join('\n')],
    ['the event log', h.agent!.eventLog.toText()],
    ['the event log file', readFileSync(eventLogFile, 'utf8')],
    ['/debug', JSON.stringify(h.agent!.debug())],
    ['the metrics', await h.agent!.metrics.registry.metrics()],
  ];
}

t.test('a token echoed in an upstream error body appears nowhere the agent writes', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;
  let run = 0;

  const failWithEcho = async (t: Test, token: string, status: number) => {
    await reset(h);
    const eventLogFile = join(h.dir, `events-${run++}.jsonl`);
    ledger.addToken(await h.writeConfigSecret({ TOKEN: token }));
    compass.armFault({ operation: 'configuration', kind: 'echo-token', status, count: 'unlimited' });
    h.startAgent({ ...NO_RETRY, APP_EVENT_LOG_FILE: eventLogFile });
    const cr = await h.waitFor('ConnectionFailed after the echo', () => {
      const current = h.connection();
      return current?.status?.connectionState === 'ConnectionFailed' && /\[REDACTED\]/.test(current.status.connectionStatus?.error ?? '')
        ? current
        : undefined;
    });
    t.match(
      cr.status?.connectionStatus?.error,
      status === 200
        ? /Failed to authenticate with one time token \[REDACTED\]/
        : /HTTP 401, Compass refused the credentials\. Body: \{"error":\{"code":401,"status":"Unauthorized","message":"one-time token \[REDACTED\] is not valid"\}\}/,
    );
    t.ok(
      compass.callLog().some((c) => c.faults.includes('echo-token')),
      'Compass did echo it',
    );
    for (const [where, text] of await outputs(h, eventLogFile)) t.notOk(text.includes(token), `not in ${where}`);
    await ledger.assertNoLeaks(t, h);
  };

  await t.test('a short token in a 401 body', (t) => failWithEcho(t, 's3cr3t-tok-7', 401));
  await t.test('a JWT-shaped token in a GraphQL error', (t) => failWithEcho(t, 'eyJhbGciOiJIUzI1NiJ9.eyJydW50aW1lIjoiYSJ9.Zm9vYmFy', 200));
  await t.test('a token of Compass shape in a 401 body', (t) => failWithEcho(t, h.sims.compass.mintToken(), 401));

  await t.test("the Connector's follow-up token echoed by the CSR signing step", async (t) => {
    await reset(h);
    const eventLogFile = join(h.dir, 'events-follow-up.jsonl');
    ledger.addToken(await h.writeConfigSecret());
    compass.armFault({ operation: 'signCertificateSigningRequest', kind: 'echo-token', status: 401 });
    h.startAgent({ ...NO_RETRY, APP_EVENT_LOG_FILE: eventLogFile });
    await h.waitFor('ConnectionFailed after the echo', () =>
      h.connection()?.status?.connectionState === 'ConnectionFailed' ? true : undefined,
    );
    t.match(
      h.connection()?.status?.connectionStatus?.error,
      /Failed to sign the CSR at the token-secured Connector: .*one-time token \[REDACTED\] is not valid/,
    );
    // The follow-up token is not in the test's hands: every 88-character token shape must be gone.
    for (const [where, text] of await outputs(h, eventLogFile)) t.notMatch(text, /[A-Za-z0-9_-]{86}==/, `no Compass token in ${where}`);
  });

  await t.test('a huge error body is cut before it reaches the status', async (t) => {
    await reset(h);
    ledger.addToken(await h.writeConfigSecret());
    compass.armFault({
      operation: 'configuration',
      kind: 'http-status',
      status: 502,
      body: `<html>${'gateway trouble '.repeat(60_000)}</html>`,
      count: 'unlimited',
    });
    h.startAgent(NO_RETRY);
    const cr = await h.waitFor('ConnectionFailed', () =>
      h.connection()?.status?.connectionState === 'ConnectionFailed' ? h.connection() : undefined,
    );
    const error = cr.status!.connectionStatus!.error!;
    t.match(error, /HTTP 502 without a GraphQL answer\. Body: <html>gateway trouble/);
    t.match(error, /more characters\)/);
    t.ok(error.length < 1000, `a 960 kB body leaves ${error.length} characters in the status`);
    t.ok(
      h.logs.every((line) => line.length < 5000),
      'and no log line carries it',
    );
  });
});
