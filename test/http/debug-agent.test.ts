// /debug of a real agent as `run` serves it (serveAgent), against a Kubernetes API server that is not
// there: the agent cannot even read its state and retries, which is enough to see the page follow it
// live. The JSON and the page say the last error and when; every event the machine records reaches
// an open /debug/events stream as an update (the simulators and a transition to Synchronized are in
// test/browser/debug-page.test.ts).
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { serveAgent } from '../../src/commands/serve-agent.js';
import type { AgentDebugView } from '../../src/agent/debug-view.js';
import { SseClient } from '../helpers/sse-client.js';
import { capturingLogger, QUICK_RETRIES, unreachableCluster } from '../helpers/debug-agent.js';

t.test('the served agent: /debug says the last error and when, and streams every change', async (t) => {
  const served = await serveAgent({
    config: loadConfig(QUICK_RETRIES),
    kubeConfig: await unreachableCluster(),
    logger: capturingLogger('error').logger,
  });
  t.teardown(() => served.stop());
  const debugUrl = served.health.debugUrl!;

  const stream = new SseClient(`${debugUrl}/events`);
  t.teardown(() => stream.close());
  const first = JSON.parse((await stream.nextEvent('update')).data!) as { panel: string; current: string[]; visited: string[] };
  t.match(first.panel, 'id="current-state"', 'the panel comes with the first update');

  // Wait for a recorded failure, then for the event after it.
  let view: AgentDebugView;
  const deadline = Date.now() + 30_000;
  do {
    view = (await (await fetch(`${debugUrl}?format=json`)).json()) as AgentDebugView;
    if (view.lastError) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (Date.now() < deadline);
  t.ok(view.lastError, 'the failure to read the cluster is the last error');
  t.ok(Number.isFinite(Date.parse(view.lastError!.at)), `with its time (${view.lastError!.at})`);
  t.match(view.lastError!.event, /^xstate\.error\.actor\./, 'and the effect that failed');
  t.equal(view.certificateValidity, null, 'no certificate yet');
  t.ok(view.nextCycleAt, 'the retry is planned: the next cycle');
  const last = view.recentEvents.at(-1)!;

  const seen = new Set<number>();
  let update: { panel: string; current: string[] };
  do {
    update = JSON.parse((await stream.nextEvent('update')).data!);
    for (const m of update.panel.matchAll(/<tr><td>(\d+)<\/td>/g)) seen.add(Number(m[1]));
  } while (!seen.has(last.seq + 1));
  t.pass(`events after #${last.seq} arrive on the stream without asking`);
  t.match(update.panel, /id="last-error">[^<]*<time datetime="[^"]+">/, 'the panel shows the last error with its time');
  const agentNow = served.agent.debug();
  t.ok(update.current.length > 0, `the update names the current state (${JSON.stringify(agentNow.state)})`);
});
