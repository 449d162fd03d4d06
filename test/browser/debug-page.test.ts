// /debug in headless Chromium (Debian's chromium, driven by playwright-core). The agent, served as
// `run` serves it, starts against both simulators without a configuration Secret; the page is
// opened; then the test writes the Secret and the agent connects and synchronizes: the highlight in
// the diagram moves to the new current state, the state before is shown as visited, and the panel
// says what happened, all without the page reloading. The diagram must be readable at 1400 px
// (test/helpers/diagram-readability.ts): on /debug and on the page `visualize --format html` writes.
// Screenshots go to .tap/screenshots.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config.js';
import { serveAgent } from '../../src/commands/serve-agent.js';
import { renderDiagram } from '../../src/commands/visualize.js';
import { describeMachine, stateIds } from '../../src/agent/machine-diagram.js';
import { createDebugPage } from '../../src/agent/debug-page.js';
import type { AgentDebugView } from '../../src/agent/debug-view.js';
import { FAST_ENV, startHarness } from '../helpers/agent-harness.js';
import { capturingLogger } from '../helpers/debug-agent.js';
import { chromiumMissing, launchChromium, measureDiagram, screenshot } from '../helpers/chromium.js';
import { MIN_STATE_LABEL_PX, MIN_TRANSITION_LABEL_PX, VIEWPORT_WIDTH } from '../helpers/diagram-readability.js';

const missing = chromiumMissing();
const ROOT = describeMachine().root;
const leafOf = (value: unknown) => stateIds(ROOT, value).at(-1);
const idleView: AgentDebugView = {
  state: null,
  status: 'active',
  connectionState: null,
  leaderElection: { enabled: false },
  lastError: null,
  certificateValidity: null,
  lastSynchronization: null,
  nextCycleAt: null,
  recentEvents: [],
};

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The states the page highlights: current and visited, by diagram id. */
const highlighted = (page: Page) =>
  page.evaluate(() => ({
    current: Array.from(document.querySelectorAll('#diagram g.node.current')).map((g) => g.getAttribute('data-state')),
    currentCompound: Array.from(document.querySelectorAll('#diagram g.cluster.current')).map((g) => g.getAttribute('data-state')),
    visited: Array.from(document.querySelectorAll('#diagram g.visited')).map((g) => g.getAttribute('data-state')),
    updates: Number(document.body.getAttribute('data-updates')),
  }));

const text = (page: Page, selector: string) => page.locator(selector).innerText();

async function readable(t: Test, page: Page, selector: string, what: string) {
  const m = await measureDiagram(page, selector);
  const smallest = (kind: string) => Math.min(...m.labels.filter((l) => l.kind === kind).map((l) => l.px));
  t.comment(
    `${what}: diagram ${Math.round(m.svgRight - m.svgLeft)} px wide in a ${m.viewportWidth} px window; smallest state name ${smallest('state').toFixed(1)} px, transition label ${smallest('transition').toFixed(1)} px; ${m.overlaps.length} overlapping label pair(s)`,
  );
  t.ok(
    m.scrollWidth <= m.viewportWidth && m.svgRight <= m.viewportWidth,
    `${what}: the whole diagram fits ${VIEWPORT_WIDTH} px, no scrolling sideways`,
  );
  t.ok(smallest('state') >= MIN_STATE_LABEL_PX, `${what}: state names at least ${MIN_STATE_LABEL_PX} px`);
  t.ok(smallest('transition') >= MIN_TRANSITION_LABEL_PX, `${what}: transition labels at least ${MIN_TRANSITION_LABEL_PX} px`);
  t.same(m.overlaps, [], `${what}: no two labels overlap`);
}

t.test('the generated diagram is readable at 1400 px in Chromium: on its own page and on /debug', { skip: missing ?? false }, async (t) => {
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: VIEWPORT_WIDTH, height: 1000 } });
  await page.setContent(await renderDiagram('html'));
  await readable(t, page, 'svg', 'visualize --format html');
  await screenshot(t, page, 'visualize-1400');

  // The /debug page as the agent serves it, here with a state and no events (the layout is the same).
  const debugPage = createDebugPage({
    debug: () => ({ ...idleView, state: describeMachine().states[0].name }),
    eventLog: { entries: () => [] },
  });
  await page.setContent(await debugPage.html());
  await readable(t, page, '#diagram svg', '/debug');
  await screenshot(t, page, 'debug-1400');
});

t.test(
  '/debug follows the agent live: the highlight moves, the panel tells, the page does not reload',
  { skip: missing ?? false },
  async (t) => {
    const h = await startHarness({ apps: 2 });
    t.teardown(() => h.close());
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(h.agentKubeconfigPath);
    const { logger } = capturingLogger('warn');
    const served = await serveAgent({
      config: loadConfig({ ...FAST_ENV, APP_DEBUG_ADDRESS: '127.0.0.1:0' }),
      kubeConfig,
      logger,
      compassCaPem: h.sims.compass.serverCaPem,
    });
    t.teardown(() => served.stop());
    const agent = served.agent;
    // No configuration Secret yet: the agent fails to connect and retries.
    await until('a failed connection attempt', () => agent.debug().lastError ?? undefined);

    const browser = await launchChromium(t);
    const page = await browser.newPage({ viewport: { width: VIEWPORT_WIDTH, height: 1000 } });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const response = await page.goto(served.health.debugUrl!);
    t.match(response?.headers()['content-type'], /^text\/html/, 'a browser gets the page at /debug');
    await page.evaluate(() => ((window as Window & { marker?: string }).marker = 'loaded once'));
    await until('the page to go live', async () => ((await page.getAttribute('#live', 'data-live')) === 'open' ? true : undefined));

    // The highlight shows where the agent is (it moves between its retry states; compare at one moment).
    const before = await until("the highlight on the agent's current state", async () => {
      const shown = await highlighted(page);
      const leaf = leafOf(agent.debug().state);
      return shown.current.length === 1 && shown.current[0] === leaf ? leaf : undefined;
    });
    t.pass(`before: ${before} is highlighted as current`);
    t.match(await text(page, '#last-error'), /\d{4}-\d\d-\d\dT[\d:.]+Z.* after .+: .+/, 'the last error, with its time');
    t.match(await text(page, '#certificate'), 'no client certificate yet');
    await screenshot(t, page, 'debug-before-connecting');
    const updatesBefore = (await highlighted(page)).updates;

    const token = await h.writeConfigSecret();
    await h.waitForState('Synchronized', 60_000);
    const after = await until("the highlight on the agent's new state", async () => {
      const shown = await highlighted(page);
      const leaf = leafOf(agent.debug().state);
      return shown.current.length === 1 && shown.current[0] === leaf && leaf !== before ? { leaf, shown } : undefined;
    });
    t.pass(`after: ${after.leaf} is highlighted as current`);
    t.same(
      after.shown.currentCompound,
      stateIds(ROOT, agent.debug().state)
        .slice(0, -1)
        .filter((id) => id !== after.leaf),
      'the compound states around it too',
    );
    t.ok(after.shown.visited.includes(before), `${before} is now shown as visited before`);
    t.notOk(after.shown.visited.includes(after.leaf), 'the current state is not drawn as merely visited');
    t.ok(after.shown.updates > updatesBefore, `updates arrived (${after.shown.updates - updatesBefore})`);
    t.equal(navigations, 1, 'the page was loaded once');
    t.equal(await page.evaluate(() => (window as Window & { marker?: string }).marker), 'loaded once', 'and never reloaded');

    await until('the panel to show the synchronization', async () =>
      (await text(page, '#last-sync')).includes('applications') ? true : undefined,
    );
    t.match(await text(page, '#connection-state'), /^(Connected|Synchronized)$/);
    t.match(
      await text(page, '#last-sync'),
      /\d{4}-\d\d-\d\dT[\d:.]+Z.*Synchronized: applications created \d+, updated \d+, deleted \d+, unchanged \d+/,
      'the last synchronization with its counts',
    );
    t.match(
      await text(page, '#certificate'),
      /valid from \S+Z.* until \S+Z.*; renewal due from \S+Z/,
      "the certificate's validity and its renewal",
    );
    t.match(
      await text(page, '#next-cycle'),
      /^\d{4}-\d\d-\d\dT[\d:.]+Z \((in \d+ s|\d+ s ago)\)$/,
      'the next cycle, counted from now by the page',
    );
    t.match(await text(page, '#last-error'), /\d{4}-\d\d-\d\dT[\d:.]+Z/, 'the last error stays after the agent recovered');
    const seqs = (await page.locator('#events tbody tr td:first-child').allInnerTexts()).map(Number);
    t.ok(seqs.length > 0 && seqs.every((seq, i) => i === 0 || seq < seqs[i - 1]), 'the latest events, newest first');
    t.ok(
      (await page.locator('#events code.data').allInnerTexts()).some((data) => data.startsWith('{')),
      'with their data',
    );

    const html = await page.content();
    for (const secret of [token, 'PRIVATE KEY', 'BEGIN CERTIFICATE'])
      t.notOk(html.includes(secret), `the page does not show ${secret === token ? 'the one-time token' : secret}`);
    await screenshot(t, page, 'debug-after-synchronized');
  },
);
