// The /debug page (src/agent/debug-page.ts), without a browser: what the panel above the diagram
// says, that every text is escaped, that the diagram's states carry their ids for the highlight,
// and which states an update marks current and visited. test/browser/debug-page.test.ts runs it.
import t from 'tap';
import {
  annotateSvg,
  createDebugPage,
  EVENT_DATA_CHARS,
  EVENT_DATA_LINE_CHARS,
  EVENTS_SHOWN,
  renderPanel,
  stateName,
  type DebugPageSource,
} from '../../src/agent/debug-page.js';
import { describeMachine } from '../../src/agent/machine-diagram.js';
import type { AgentDebugView } from '../../src/agent/debug-view.js';
import type { EventLogEntry } from '../../src/event-log.js';
import { renderDiagram } from '../../src/commands/visualize.js';

const ROOT = describeMachine().root;
/** Two leaf states of the machine, whatever they are called, and the compound state above one if any. */
const leaves = describeMachine().states.filter((s) => s.children.length === 0);
const nested = leaves.find((s) => s.parent !== ROOT) ?? leaves[0];
const topLevel = leaves.find((s) => s.parent === ROOT && s.id !== nested.id)!;
/** A state value for a diagram state id: runtime-agent.A.B → {A: 'B'}. */
function valueOf(id: string): unknown {
  const path = id.slice(ROOT.length + 1).split('.');
  return path.reduceRight<unknown>((inner, key) => (inner === undefined ? key : { [key]: inner }), undefined);
}

const entry = (seq: number, event: EventLogEntry['event'], state: unknown): EventLogEntry => ({
  seq,
  at: `2026-11-30T10:00:${String(seq).padStart(2, '0')}.000Z`,
  event,
  state,
});

function view(overrides: Partial<AgentDebugView> = {}): AgentDebugView {
  return {
    state: valueOf(nested.id),
    status: 'active',
    connectionState: 'Synchronized',
    leaderElection: { enabled: false },
    lastError: {
      at: '2026-11-30T09:59:00.000Z',
      event: 'xstate.error.actor.establishConnection',
      kind: 'unreachable',
      message: 'connect ECONNREFUSED 10.0.0.1:443',
    },
    certificateValidity: {
      notBefore: '2026-11-30T00:00:00.000Z',
      notAfter: '2026-12-30T00:00:00.000Z',
      acquired: '2026-11-30T00:00:01.000Z',
      renewalDueAt: '2026-12-21T00:00:01.000Z',
      rejected: false,
    },
    lastSynchronization: {
      at: '2026-11-30T10:00:03.000Z',
      result: 'Synchronized',
      error: null,
      summary: { created: 2, updated: 1, deleted: 3, unchanged: 40, failed: 0 },
    },
    nextCycleAt: '2026-11-30T10:00:23.000Z',
    recentEvents: Array.from({ length: 30 }, (_, i) =>
      entry(
        i,
        { type: i % 2 ? 'WAKE' : 'CONFIG_OBSERVED', at: `t${i}`, config: { present: true, tokenFingerprint: `fp${i}` } },
        valueOf(topLevel.id),
      ),
    ),
    ...overrides,
  };
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
/** The content of the element with this id (none of them nests its own kind). */
const section = (html: string, id: string) => new RegExp(`<(\\w+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html)?.[2] ?? '';

t.test('the panel: current state, last error and its time, certificate and renewal, last synchronization, next cycle', async (t) => {
  const html = renderPanel(view(), ROOT);
  t.equal(text(section(html, 'current-state')), stateName(ROOT, valueOf(nested.id)), 'the current state by name');
  t.equal(text(section(html, 'connection-state')), 'Synchronized');
  t.match(
    text(section(html, 'last-error')),
    /^2026-11-30T09:59:00\.000Z after xstate\.error\.actor\.establishConnection unreachable: connect ECONNREFUSED 10\.0\.0\.1:443$/,
  );
  t.match(section(html, 'last-error'), '<time datetime="2026-11-30T09:59:00.000Z">', 'a machine-readable time the page counts from');
  t.match(
    text(section(html, 'certificate')),
    /valid from 2026-11-30T00:00:00\.000Z until 2026-12-30T00:00:00\.000Z, obtained 2026-11-30T00:00:01\.000Z; renewal due from 2026-12-21T00:00:01\.000Z/,
  );
  t.match(
    text(section(html, 'last-sync')),
    /2026-11-30T10:00:03\.000Z Synchronized: applications created 2, updated 1, deleted 3, unchanged 40$/,
    'counts; no failed count when none failed',
  );
  t.equal(text(section(html, 'next-cycle')), '2026-11-30T10:00:23.000Z');

  const rejected = renderPanel(
    view({
      certificateValidity: { ...view().certificateValidity!, rejected: true },
      lastSynchronization: {
        at: 'x',
        result: 'ResourceApplicationFailed',
        error: 'boom',
        summary: { created: 0, updated: 0, deleted: 0, unchanged: 1, failed: 2 },
      },
    }),
    ROOT,
  );
  t.match(text(section(rejected, 'certificate')), /refused by Compass/);
  t.match(text(section(rejected, 'last-sync')), /failed 2 — boom$/);
  const none = renderPanel(view({ lastError: null, certificateValidity: null, lastSynchronization: null, nextCycleAt: null }), ROOT);
  t.match(text(section(none, 'last-error')), 'none since the agent started');
  t.match(text(section(none, 'certificate')), 'no client certificate yet');
  t.match(text(section(none, 'last-sync')), 'none since the agent started');
  t.match(text(section(none, 'next-cycle')), 'none planned');
});

t.test('the latest events, newest first, with their data', async (t) => {
  const html = renderPanel(view(), ROOT);
  const rows = [
    ...html.matchAll(
      /<tr><td>(\d+)<\/td><td>[\s\S]*?<\/td><td><code>([^<]+)<\/code><\/td><td><code>([^<]*)<\/code><\/td><td>([\s\S]*?)<\/td><\/tr>/g,
    ),
  ];
  t.same(
    rows.map((r) => Number(r[1])),
    Array.from({ length: EVENTS_SHOWN }, (_, i) => 29 - i),
    `the ${EVENTS_SHOWN} latest, newest first`,
  );
  t.equal(rows[0][2], 'WAKE');
  t.equal(rows[0][3], stateName(ROOT, valueOf(topLevel.id)), 'the state after it');
  t.same(
    JSON.parse(text(rows[0][4])),
    { at: 't29', config: { present: true, tokenFingerprint: 'fp29' } },
    "the event's data, without its type",
  );

  const long = renderPanel(view({ recentEvents: [entry(0, { type: 'X', blob: 'y'.repeat(3000) }, 'A')] }), ROOT);
  const cell = /<details><summary><code class="data">([^<]*)<\/code><\/summary><code class="data">([^<]*)<\/code><\/details>/.exec(long);
  t.ok(cell, 'long data folds away');
  t.equal(text(cell![1]).length, EVENT_DATA_LINE_CHARS + 1, 'one line of it shows');
  t.match(
    text(cell![2]),
    new RegExp(`^.{${EVENT_DATA_CHARS}}… \\(\\d+ more characters\\)$`),
    'unfolded, it is cut at a bound, saying how much is left out',
  );
});

t.test('every text is escaped: Director data in an error or an event cannot become markup', async (t) => {
  const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
  const source: DebugPageSource = {
    debug: () =>
      view({
        lastError: { at: '2026-11-30T10:00:00Z', event: 'xstate.done.actor.synchronize', kind: 'ResourceApplicationFailed', message: evil },
        recentEvents: [entry(0, { type: 'X', name: evil }, 'A')],
      }),
    eventLog: { entries: () => [] },
  };
  const page = await createDebugPage(source).html();
  t.notMatch(page, '<script>alert', 'no injected script element');
  t.notMatch(page, '<img src=x', 'no injected element');
  t.equal(page.match(/<\/script>/g)?.length, 2, "only the page's own two scripts end");
  t.match(text(section(page, 'last-error')), evil, 'the text itself is shown');
});

t.test('the diagram: every state and compound state carries its id; the page holds the diagram below the panel', async (t) => {
  const svg = annotateSvg(await renderDiagram('svg'));
  t.ok(svg.startsWith('<svg'), 'no XML prologue inside the HTML page');
  const marked = new Set([...svg.matchAll(/data-state="([^"]+)"/g)].map((m) => m[1]));
  t.same(
    [...marked].sort(),
    describeMachine()
      .states.map((s) => s.id)
      .sort(),
    'each state of the machine, by its diagram id',
  );

  const page = await createDebugPage({ debug: () => view(), eventLog: { entries: () => [] } }).html();
  const order = [
    'id="current-state"',
    'id="last-error"',
    'id="certificate"',
    'id="last-sync"',
    'id="next-cycle"',
    'id="events"',
    '<svg',
  ].map((marker) => page.indexOf(marker));
  t.ok(
    order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1])),
    'state, error, certificate, synchronization, next cycle, events, then the diagram',
  );
  t.match(page, "new EventSource('/debug/events')", 'live updates come as server-sent events');
  t.notMatch(page, /http-equiv="refresh"/, 'not by reloading');
});

t.test('an update: the current state and its ancestors; the states the events visited', async (t) => {
  const entries = [entry(0, { type: 'xstate.init' }, valueOf(topLevel.id)), entry(1, { type: 'E' }, valueOf(nested.id))];
  const update = createDebugPage({ debug: () => view({ state: valueOf(nested.id) }), eventLog: { entries: () => entries } }).update();
  const ancestors = (id: string): string[] => (id === ROOT ? [] : [...ancestors(id.slice(0, id.lastIndexOf('.'))), id]);
  t.same(update.current, ancestors(nested.id), 'current: the leaf and the states above it');
  t.same(new Set(update.visited), new Set([...ancestors(topLevel.id), ...ancestors(nested.id)]), 'visited: every state an event led to');
  t.match(update.panel, 'id="current-state"');
});
