// The /debug page: the live state machine. Above the diagram it shows the current state, the last
// error and when it happened, the certificate's validity and when it is renewed, the last
// synchronization's counts, the next cycle and the latest events with their (redacted) data; in the
// diagram the current state is highlighted differently from the states visited before. The page
// loads once; every change arrives as a server-sent event (/debug/events) carrying a new panel and
// the states to highlight, which a small script applies: no reload.
//
// Everything shown comes from `agent.debug()` (redacted there) and the event log's state values;
// every text is escaped, so Director data in an error message cannot become markup.
import { describeMachine, stateIds, visitedBy, type MachineDiagram } from './machine-diagram.js';
import { renderDiagram } from '../commands/visualize.js';
import type { AgentDebugView, DebugCertificate, DebugError, DebugSynchronization } from './debug-view.js';
import type { EventLogEntry } from '../event-log.js';

export const DEBUG_EVENTS_PATH = '/debug/events';
/** The body's margin: at a 1400 px wide window the diagram gets 1400 − 2 × this, less a scrollbar. */
export const PAGE_MARGIN_PX = 16;
/** Latest events listed, newest first. */
export const EVENTS_SHOWN = 15;
/** Characters of an event's data shown on its line; the rest unfolds. */
export const EVENT_DATA_LINE_CHARS = 140;
/** Characters of an event's data shown at most. */
export const EVENT_DATA_CHARS = 2000;

export interface DebugPageSource {
  debug(): AgentDebugView;
  eventLog: { entries(): EventLogEntry[] };
}

/** One server-sent update: the panel above the diagram and the diagram's states to highlight. */
export interface DebugPageUpdate {
  panel: string;
  /** Diagram ids of the current state and its ancestors. */
  current: string[];
  /** Diagram ids of the states the events still held in memory visited (the current ones included). */
  visited: string[];
}

export interface DebugPage {
  html(): Promise<string>;
  update(): DebugPageUpdate;
}

let machineDiagram: MachineDiagram | undefined;
let annotatedSvg: Promise<string> | undefined;
// The machine does not change while the process runs: describe and render it once.
const diagram = () => (machineDiagram ??= describeMachine());
const svg = () => (annotatedSvg ??= renderDiagram('svg').then(annotateSvg));

export function createDebugPage(source: DebugPageSource): DebugPage {
  const update = (): DebugPageUpdate => {
    const view = source.debug();
    const machine = diagram();
    const visited = visitedBy(
      machine,
      source.eventLog.entries().map((entry) => ({ eventType: entry.event.type, state: entry.state })),
    );
    return { panel: renderPanel(view, machine.root), current: stateIds(machine.root, view.state), visited: [...visited.states] };
  };
  return {
    update,
    async html() {
      return renderPage(await svg(), update());
    },
  };
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, entity: string) =>
    entity.startsWith('#x') || entity.startsWith('#X')
      ? String.fromCodePoint(parseInt(entity.slice(2), 16))
      : entity.startsWith('#')
        ? String.fromCodePoint(parseInt(entity.slice(1), 10))
        : XML_ENTITIES[entity.toLowerCase()],
  );

/**
 * The diagram's SVG (Graphviz) for the page: without the XML prologue, each state's group marked
 * with `data-state="<diagram id>"` (its <title> names it; a compound state is a `cluster_` group).
 */
export function annotateSvg(svgText: string): string {
  return svgText
    .replace(/^[\s\S]*?(?=<svg\b)/, '')
    .replace(
      /<g id="([^"]+)" class="(node|cluster)">(\s*)<title>([^<]*)<\/title>/g,
      (_m, id: string, kind: string, space: string, title: string) => {
        const name = decodeXml(title);
        const state = kind === 'cluster' ? name.replace(/^cluster_/, '') : name;
        return `<g id="${id}" class="${kind}" data-state="${escapeHtml(state)}">${space}<title>${title}</title>`;
      },
    );
}

/** `Connected.Synchronized` for {Connected: 'Synchronized'}: the leaf states' paths below the root. */
export function stateName(root: string, value: unknown): string {
  const ids = stateIds(root, value);
  const leaves = ids.filter((id) => !ids.some((other) => other.startsWith(id + '.')));
  return leaves.length ? leaves.map((id) => id.slice(root.length + 1)).join(', ') : '-';
}

const time = (at: string) =>
  `<time datetime="${escapeHtml(at)}">${escapeHtml(at)}</time><span class="relative" data-at="${escapeHtml(at)}"></span>`;

function errorText(error: DebugError | null): string {
  if (!error) return '<span class="none">none since the agent started</span>';
  const kind = error.kind ? ` <span class="kind">${escapeHtml(error.kind)}</span>` : '';
  return `${time(error.at)} after <code>${escapeHtml(error.event)}</code>${kind}: <span class="message">${escapeHtml(error.message)}</span>`;
}

function certificateText(certificate: DebugCertificate | null): string {
  if (!certificate) return '<span class="none">no client certificate yet</span>';
  const acquired = certificate.acquired ? `, obtained ${time(certificate.acquired)}` : '';
  const renewal = certificate.rejected
    ? '<b>refused by Compass</b> (revoked or unknown): a fresh one-time token in the configuration Secret reconnects the agent'
    : certificate.renewalDueAt
      ? `renewal due from ${time(certificate.renewalDueAt)} (at the first cycle after it)`
      : 'no renewal due before it expires';
  return `valid from ${time(certificate.notBefore)} until ${time(certificate.notAfter)}${acquired}; <span id="renewal">${renewal}</span>`;
}

function synchronizationText(sync: DebugSynchronization | null): string {
  if (!sync) return '<span class="none">none since the agent started</span>';
  const s = sync.summary;
  const counts = s
    ? `: applications <span class="counts">created <b>${s.created}</b>, updated <b>${s.updated}</b>, deleted <b>${s.deleted}</b>, unchanged <b>${s.unchanged}</b>${s.failed ? `, failed <b>${s.failed}</b>` : ''}</span>`
    : '';
  const error = sync.error ? ` — <span class="message">${escapeHtml(sync.error)}</span>` : '';
  return `${time(sync.at)} <b>${escapeHtml(sync.result)}</b>${counts}${error}`;
}

function leaderText(view: AgentDebugView): string {
  const election = view.leaderElection;
  if (!('lease' in election)) return '';
  const who = election.leading
    ? 'this replica leads'
    : `standing by (${election.leader ? `${escapeHtml(election.leader)} leads` : 'no replica leads yet'})`;
  return `<dt>Leader election</dt><dd>${who}; Lease <code>${escapeHtml(election.lease)}</code>, identity <code>${escapeHtml(election.identity)}</code></dd>`;
}

/** The event's data (all but its type) as JSON: one line, the rest folded away. */
function eventData(entry: EventLogEntry): string {
  const { type: _type, ...data } = entry.event;
  let text = JSON.stringify(data);
  if (text === '{}') return '';
  if (text.length > EVENT_DATA_CHARS) text = `${text.slice(0, EVENT_DATA_CHARS)}… (${text.length - EVENT_DATA_CHARS} more characters)`;
  if (text.length <= EVENT_DATA_LINE_CHARS) return `<code class="data">${escapeHtml(text)}</code>`;
  return `<details><summary><code class="data">${escapeHtml(text.slice(0, EVENT_DATA_LINE_CHARS))}…</code></summary><code class="data">${escapeHtml(text)}</code></details>`;
}

/** The panel above the diagram, as HTML. */
export function renderPanel(view: AgentDebugView, root: string): string {
  const rows = view.recentEvents
    .slice(-EVENTS_SHOWN)
    .reverse()
    .map(
      (entry) =>
        `<tr><td>${entry.seq}</td><td>${time(entry.at)}</td><td><code>${escapeHtml(entry.event.type)}</code></td>` +
        `<td><code>${escapeHtml(stateName(root, entry.state))}</code></td><td>${eventData(entry)}</td></tr>`,
    )
    .join('');
  return (
    `<dl class="facts">` +
    `<dt>Current state</dt><dd><code id="current-state" class="current">${escapeHtml(stateName(root, view.state))}</code>` +
    ` · CompassConnection <b id="connection-state">${escapeHtml(view.connectionState ?? '-')}</b>` +
    (view.status && view.status !== 'active' ? ` · the state machine is <b>${escapeHtml(view.status)}</b>` : '') +
    `</dd>` +
    `<dt>Last error</dt><dd id="last-error">${errorText(view.lastError)}</dd>` +
    `<dt>Certificate</dt><dd id="certificate">${certificateText(view.certificateValidity)}</dd>` +
    `<dt>Last synchronization</dt><dd id="last-sync">${synchronizationText(view.lastSynchronization)}</dd>` +
    `<dt>Next cycle</dt><dd id="next-cycle">${view.nextCycleAt ? time(view.nextCycleAt) : '<span class="none">none planned</span>'}</dd>` +
    leaderText(view) +
    `</dl>` +
    `<h2>Latest events <small>(newest first; data redacted)</small></h2>` +
    `<table class="events" id="events"><colgroup><col style="width:4em"><col style="width:17em"><col style="width:20em"><col style="width:16em"><col></colgroup>` +
    `<thead><tr><th>#</th><th>time</th><th>event</th><th>state after</th><th>data</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

const STYLE = `
body{font:14px/1.45 Helvetica,Arial,sans-serif;margin:${PAGE_MARGIN_PX}px;color:#1a1a1a}
header{display:flex;align-items:baseline;gap:12px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:15px;margin:14px 0 4px}
small{font-weight:normal;color:#555}
#live{font-size:12px;padding:1px 8px;border-radius:8px;background:#eee}
#live[data-live=open]{background:#d7f0d7}
#live[data-live=closed]{background:#fde0dc}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:6px 0}
dt{font-weight:bold}
dd{margin:0}
code{font-family:Menlo,Consolas,monospace;font-size:12px}
.relative,.none{color:#666}
.message{color:#b71c1c}
table.events{border-collapse:collapse;width:100%;table-layout:fixed;font-size:12px}
table.events summary{cursor:pointer}
table.events th,table.events td{border-bottom:1px solid #e5e5e5;padding:2px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.legend{margin:14px 0 4px}
.swatch{display:inline-block;width:12px;height:12px;border:2px solid;border-radius:3px;vertical-align:middle;margin:0 4px 0 12px}
.swatch.current,code.current{background:#ffcc80;border-color:#e65100}
.swatch.visited{background:#d7f0d7;border-color:#2e7d32}
#diagram svg{display:block;max-width:100%;height:auto}
#diagram g.node.visited>path,#diagram g.node.visited>polygon,#diagram g.node.visited>ellipse{fill:#d7f0d7;stroke:#2e7d32;stroke-width:2px}
#diagram g.node.current>path,#diagram g.node.current>polygon,#diagram g.node.current>ellipse{fill:#ffcc80;stroke:#e65100;stroke-width:3px}
#diagram g.cluster.visited>path,#diagram g.cluster.visited>polygon{stroke:#2e7d32;stroke-width:2px}
#diagram g.cluster.current>path,#diagram g.cluster.current>polygon{stroke:#e65100;stroke-width:3px}
`;

// Plain ES2017 in the page; it only applies what the server rendered and escaped.
const SCRIPT = `(function () {
  var panel = document.getElementById('panel');
  var live = document.getElementById('live');
  var states = document.querySelectorAll('#diagram [data-state]');
  var applied = 0;
  function relative() {
    var now = Date.now();
    document.querySelectorAll('[data-at]').forEach(function (el) {
      var t = Date.parse(el.getAttribute('data-at'));
      if (isNaN(t)) return;
      var s = Math.round((t - now) / 1000), a = Math.abs(s);
      var text = a < 90 ? a + ' s' : a < 5400 ? Math.round(a / 60) + ' min' : a < 172800 ? Math.round(a / 3600) + ' h' : Math.round(a / 86400) + ' d';
      el.textContent = a === 0 ? ' (now)' : s > 0 ? ' (in ' + text + ')' : ' (' + text + ' ago)';
    });
  }
  function apply(update) {
    if (typeof update.panel === 'string') panel.innerHTML = update.panel;
    var current = {}, visited = {};
    update.current.forEach(function (id) { current[id] = true; });
    update.visited.forEach(function (id) { visited[id] = true; });
    states.forEach(function (g) {
      var id = g.getAttribute('data-state');
      g.classList.toggle('current', !!current[id]);
      g.classList.toggle('visited', !current[id] && !!visited[id]);
    });
    document.body.setAttribute('data-updates', String(++applied));
    relative();
  }
  apply(JSON.parse(document.getElementById('debug-initial').textContent));
  if (window.EventSource) {
    var source = new EventSource('${DEBUG_EVENTS_PATH}');
    source.addEventListener('update', function (event) {
      live.textContent = 'live';
      live.setAttribute('data-live', 'open');
      apply(JSON.parse(event.data));
    });
    source.onerror = function () {
      live.textContent = 'reconnecting…';
      live.setAttribute('data-live', 'closed');
    };
  }
  setInterval(relative, 1000);
})();`;

function renderPage(svgText: string, initial: DebugPageUpdate): string {
  // JSON inside <script>: no "<" may survive, or "</script>" in an error message would end the element.
  const data = JSON.stringify({ current: initial.current, visited: initial.visited }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>runtime-agent /debug</title>
<style>${STYLE}</style></head>
<body>
<header><h1>runtime-agent <small>/debug</small></h1><span id="live" data-live="connecting">connecting…</span></header>
<section id="panel" aria-live="polite">${initial.panel}</section>
<section id="diagram">
<p class="legend">State machine, generated from the machine:<span class="swatch current"></span>current state<span class="swatch visited"></span>visited before (by the events held in memory)</p>
${svgText}
</section>
<script type="application/json" id="debug-initial">${data}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
