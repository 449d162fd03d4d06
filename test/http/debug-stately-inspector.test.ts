// The live machine in Stately's inspector (@statelyai/inspect): off by default, and then not even
// loaded; on (APP_STATELY_INSPECT=ws://…), the machine's events reach the package's own relay
// (createInspectorServer, what a developer runs) and from it a browser's bridge, redacted.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createInspectorServer } from '@statelyai/inspect/server';
import { ConfigError, loadConfig } from '../../src/config.js';
import { attachStatelyInspector, loadStatelyInspector, serveAgent } from '../../src/commands/serve-agent.js';
import { connectStatelyInspector, serializeInspectionEvent } from '../../src/agent/stately-inspector.js';
import { FAKE_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';
import { capturingLogger, freePort, QUICK_RETRIES, unreachableCluster } from '../helpers/debug-agent.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Received {
  type: string;
  name?: string;
  sessionId: string;
  definition?: string;
  event?: { type: string };
  snapshot?: { value?: unknown };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('APP_STATELY_INSPECT: ws:// or wss:// URLs, without credentials; unset is off', async (t) => {
  t.equal(loadConfig({}).statelyInspectUrl, undefined, 'off by default');
  t.equal(loadConfig({ APP_STATELY_INSPECT: 'ws://127.0.0.1:8080' }).statelyInspectUrl, 'ws://127.0.0.1:8080');
  t.equal(loadConfig({ APP_STATELY_INSPECT: 'wss://inspect.example.com/relay' }).statelyInspectUrl, 'wss://inspect.example.com/relay');
  t.throws(() => loadConfig({ APP_STATELY_INSPECT: 'http://127.0.0.1:8080' }), ConfigError);
  t.throws(() => loadConfig({ APP_STATELY_INSPECT: 'ws://user:secret@127.0.0.1:8080' }), /must not hold credentials/);
});

t.test('off: the inspector module is not loaded and nothing subscribes to the machine', async (t) => {
  let loads = 0;
  let inspections = 0;
  const load = () => {
    loads++;
    return loadStatelyInspector();
  };
  const agent = { inspect: () => (inspections++, { unsubscribe() {} }) };
  t.equal(await attachStatelyInspector(agent, undefined, capturingLogger().logger, load), null);
  t.equal(loads, 0, 'not loaded');
  t.equal(inspections, 0, 'no inspection');

  const served = await serveAgent({
    config: loadConfig(QUICK_RETRIES),
    kubeConfig: await unreachableCluster(),
    logger: capturingLogger().logger,
    loadStatelyInspector: load,
  });
  t.teardown(() => served.stop());
  t.equal(loads, 0, 'the served agent does not load it either');

  // Statically: only the inspector's module names the package (and ws), and only serve-agent.ts
  // imports that module, with import(): the bundle keeps it in a chunk `run` never loads.
  const sources = ['src', 'adapters', 'machines'].flatMap((dir) => files(join(root, dir))).filter((f) => f.endsWith('.ts'));
  const naming = sources
    .filter((f) => /from '(@statelyai\/inspect|ws)(\/[^']*)?'/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(root, f));
  t.same(naming, ['src/agent/stately-inspector.ts'], 'only src/agent/stately-inspector.ts imports @statelyai/inspect and ws');
  const importers = sources.filter((f) => readFileSync(f, 'utf8').includes('stately-inspector.js')).map((f) => relative(root, f));
  t.same(importers, ['src/commands/serve-agent.ts']);
  const serveAgentText = readFileSync(join(root, 'src/commands/serve-agent.ts'), 'utf8');
  t.notMatch(serveAgentText, /^import [^;]*stately-inspector\.js/m, 'no static import of it');
});

t.test("on: the machine, its events and snapshots reach the inspector through the package's relay", async (t) => {
  const port = await freePort();
  const relay = createInspectorServer({ port, autoOpen: false });
  t.teardown(() => relay.stop());
  // The inspector's browser bridge is another client of the relay; it gets what the agent sends.
  const bridge = await connect(`ws://127.0.0.1:${port}`);
  t.teardown(() => bridge.terminate());
  const received: Received[] = [];
  bridge.on('message', (data) => received.push(JSON.parse(String(data)) as Received));

  const { logger, lines } = capturingLogger('info');
  const served = await serveAgent({
    config: loadConfig({ ...QUICK_RETRIES, APP_STATELY_INSPECT: `ws://127.0.0.1:${port}` }),
    kubeConfig: await unreachableCluster(),
    logger,
  });
  t.teardown(() => served.stop());

  const machine = await until('the machine announced', () =>
    received.find((e) => e.type === '@xstate.actor' && e.name === 'runtime-agent'),
  );
  t.match(machine.definition, /"id":"runtime-agent"/, 'with its definition, which the inspector draws');
  const recorded = await until('two recorded events', () =>
    served.agent.eventLog.entries().length >= 3 ? served.agent.eventLog.entries() : undefined,
  );
  const types = recorded.slice(1, 3).map((e) => e.event.type);
  const events = await until(`the events ${types.join(', ')}`, () => {
    const sent = received.filter((e) => e.type === '@xstate.event' && e.sessionId === machine.sessionId).map((e) => e.event!.type);
    return types.every((type) => sent.includes(type)) ? sent : undefined;
  });
  t.ok(events.length >= 2, `the events the machine got (${types.join(', ')})`);
  const snapshots = received
    .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === machine.sessionId)
    .map((e) => JSON.stringify(e.snapshot?.value));
  t.ok(snapshots.includes(JSON.stringify(recorded[1].state)), 'and its states');
  t.ok(
    lines.some((line) => line.includes('APP_STATELY_INSPECT') && line.includes('"level":"warn"')),
    'the setting is warned about in the log',
  );
  t.ok(
    lines.some((line) => line.includes('Stately inspector: connected')),
    'the connection is logged',
  );

  await served.stop();
  const count = received.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.ok(received.length - count <= 5, 'stopping the agent stops the inspection');
});

t.test('a relay that is not there yet: said once, tried again, and what was kept meanwhile arrives', async (t) => {
  const port = await freePort();
  const { logger, lines } = capturingLogger('info');
  const inspection = connectStatelyInspector({ url: `ws://127.0.0.1:${port}`, logger, retryMs: 100, maxBuffered: 2 });
  t.teardown(() => inspection.stop());
  for (const n of [1, 2, 3])
    inspection.inspect.next!({
      type: '@xstate.event',
      event: { type: `EARLY_${n}` },
      actorRef: { sessionId: 'x:0' },
      rootId: 'x:0',
    } as never);
  await until('the failure to be logged', () => (lines.some((line) => line.includes('cannot be reached')) ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 350));
  t.equal(lines.filter((line) => line.includes('cannot be reached')).length, 1, 'one warning for the outage, not one per try');

  const relay = createInspectorServer({ port, autoOpen: false });
  t.teardown(() => relay.stop());
  const bridge = await connect(`ws://127.0.0.1:${port}`);
  t.teardown(() => bridge.terminate());
  const received: string[] = [];
  bridge.on('message', (data) => received.push((JSON.parse(String(data)) as Received).event!.type));
  await until('the kept events', () => (received.length >= 2 ? true : undefined));
  t.same(received, ['EARLY_2', 'EARLY_3'], 'the newest ones it kept, in order');
  t.ok(
    lines.some((line) => line.includes('Stately inspector: connected')),
    'then it says it is connected',
  );

  inspection.stop();
  inspection.inspect.next!({ type: '@xstate.event', event: { type: 'LATE' }, actorRef: { sessionId: 'x:0' }, rootId: 'x:0' } as never);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.notOk(received.includes('LATE'), 'nothing is sent after stop');
});

t.test('what goes to the inspector is redacted', async (t) => {
  const pem = FAKE_PRIVATE_KEY_PEM;
  const token = 'tok_' + 'a1B2c3D4'.repeat(10);
  const text = serializeInspectionEvent({
    type: '@xstate.event',
    event: { type: 'CONFIG_OBSERVED', token, note: `key ${pem}`, nested: { crt: 'x', message: `Bearer ${token}` } },
    sourceId: undefined,
    sessionId: 'x:0',
    rootId: 'x:0',
    createdAt: '0',
    id: '1',
    _version: '0.7.2',
  })!;
  t.notMatch(text, token);
  t.notMatch(text, 'MIIEowIBAAKCAQEA');
  t.same(JSON.parse(text).event.nested.crt, '[REDACTED]');
});

/** A WebSocket client, once the server (which starts listening asynchronously) accepts it. */
async function connect(url: string): Promise<WebSocket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const socket = new WebSocket(url);
    const opened = await new Promise<boolean>((resolve) => {
      socket.once('open', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (opened) return socket;
    if (Date.now() > deadline) throw new Error(`${url} does not accept connections`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
