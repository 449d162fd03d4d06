// APP_QUERY_LOGGING=true logs each GraphQL operation at debug level, as the README promises: its
// name, its variables redacted, its duration, its x-request-id (the one Compass received) and its
// status, failed operations too; never the one-time token (it travels in the Connector-Token header,
// which is not logged) nor a key, certificate or CSR. Off, nothing of the kind is logged.
import t from 'tap';
import { Writable } from 'node:stream';
import { startHarness } from '../helpers/agent-harness.js';
import { SecretLedger } from '../helpers/connection-checks.js';
import { createLogger } from '../../adapters/logger.js';
import { QUERY_LOG_MESSAGE, queryLogging } from '../../src/agent/query-logging.js';
import type { OperationRecord } from '../../adapters/compass/graphql-transport.js';

interface QueryLine {
  level: string;
  msg: string;
  graphql: OperationRecord;
}

const queryLines = (logs: string[]): QueryLine[] =>
  logs.map((line) => JSON.parse(line) as QueryLine).filter((entry) => entry.msg === QUERY_LOG_MESSAGE);

t.test(
  'APP_QUERY_LOGGING=true: one debug line per GraphQL request with name, redacted variables, duration, request id and status',
  async (t) => {
    const h = await startHarness({ apps: 2 });
    t.teardown(() => h.close());
    const ledger = new SecretLedger();
    const compass = h.sims.compass.control;

    // First a token Compass does not know: the failed operation is logged too.
    const unknownToken = ledger.addToken('not-a-token-compass-knows-1234');
    await h.writeConfigSecret({ TOKEN: unknownToken });
    h.startAgent({ APP_QUERY_LOGGING: 'true', APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' });
    await h.waitForState('ConnectionFailed');
    await h.waitFor(
      'the failed configuration in the log',
      () => queryLines(h.logs).some((l) => l.graphql.outcome === 'failed') || undefined,
    );
    const failed = queryLines(h.logs).find((l) => l.graphql.outcome === 'failed')!.graphql;
    t.equal(failed.operation, 'configuration');
    t.equal(failed.error, 'rejected', 'the failure kind');
    t.equal(failed.status, 200, 'the HTTP status of the answer (GraphQL errors come with 200)');

    await h.stopAgent();
    ledger.addToken(await h.writeConfigSecret());
    compass.clearCallLog();
    h.logs.length = 0;
    h.startAgent({ APP_QUERY_LOGGING: 'true' });
    await h.waitForState('Synchronized', 60_000);
    await h.waitForSyncCycles(1);
    await h.stopAgent();

    const lines = queryLines(h.logs);
    const calls = compass.callLog();
    t.ok(lines.length >= calls.length && calls.length >= 4, `${lines.length} lines for ${calls.length} requests Compass received`);
    const operations = new Set(lines.map((l) => l.graphql.operation));
    for (const name of ['configuration', 'signCertificateSigningRequest', 'runtime, applicationsForRuntime'])
      t.ok(operations.has(name), `${name} is logged`);
    for (const call of calls) {
      const requestId = call.headers['x-request-id'];
      const line = lines.find((l) => l.graphql.requestId === requestId);
      t.ok(line, `the ${call.operations.join(', ')} request Compass received as ${requestId} is logged under that id`);
      if (!line) continue;
      t.equal(line.level, 'debug', 'at debug level');
      t.equal(line.graphql.status, call.outcome.status, 'with the status Compass answered');
      t.equal(line.graphql.outcome, 'ok');
      t.type(line.graphql.durationMs, 'number');
      t.ok(line.graphql.durationMs >= 0, 'and its duration');
      t.match(line.graphql.endpoint, /^https:\/\/127\.0\.0\.1:\d+\//, 'and the endpoint');
    }
    const signing = lines.find((l) => l.graphql.operation === 'signCertificateSigningRequest')!;
    t.same(Object.keys(signing.graphql.variables), ['csr'], 'the variables are named');
    t.equal(signing.graphql.variables.csr, '[REDACTED]', 'the CSR is redacted');
    const page = lines.find((l) => l.graphql.operation === 'runtime, applicationsForRuntime')!;
    t.match(
      page.graphql.variables,
      { runtimeId: h.sims.compass.runtimeId },
      'harmless variables are kept, so a request can be told from another',
    );

    const text = h.logs.join('\n');
    t.notMatch(text, /connector-token/i, 'no request header is logged');
    await ledger.assertNoLeaks(t, h);
  },
);

t.test('APP_QUERY_LOGGING unset: no operation is logged, even at APP_LOG_LEVEL debug', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized', 60_000);
  await h.waitForSyncCycles(1);
  t.same(queryLines(h.logs), [], 'no GraphQL operation lines (the harness logs at debug)');
});

t.test('the lines are written at debug level even when APP_LOG_LEVEL is info: turning the variable on asks for them', async (t) => {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination: sink });
  t.equal(queryLogging(false, logger), undefined, 'off: no hook at all');
  const log = queryLogging(true, logger)!;
  log({
    operation: 'configuration',
    endpoint: 'https://connector.test/graphql',
    requestId: 'r-1',
    variables: {},
    durationMs: 12.5,
    status: 200,
    outcome: 'ok',
  });
  logger.debug('an ordinary debug line');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(written.length, 1, 'only the operation: APP_LOG_LEVEL still applies to everything else');
  t.match(JSON.parse(written[0]), {
    level: 'debug',
    msg: QUERY_LOG_MESSAGE,
    graphql: { operation: 'configuration', requestId: 'r-1', durationMs: 12.5, status: 200, outcome: 'ok' },
  });
});
