import t from 'tap';
import { withLiveStatus } from '../../src/commands/serve-agent.js';

t.test('the /debug page shows the current state and the latest events, newest first, and refreshes', async (t) => {
  const entries = Array.from({ length: 10 }, (_, i) => ({ seq: i, at: `2026-11-28T10:00:0${i}Z`, event: { type: i === 9 ? 'WAKE' : `E${i}` }, state: i === 9 ? { Connected: 'Synchronized' } : 'Connecting' }));
  const agent = {
    runtime: { getSnapshot: () => ({ value: { Connected: 'Synchronized' }, context: { connectionState: 'Synchronized' } }) },
    eventLog: { entries: () => entries },
  } as unknown as Parameters<typeof withLiveStatus>[1];
  const page = withLiveStatus('<html><head><title>x</title></head><body><h1>machine</h1><svg></svg></body></html>', agent);
  t.match(page, '<meta http-equiv="refresh" content="5">');
  t.match(page, 'current state <b><code>{"Connected":"Synchronized"}</code></b>');
  t.match(page, 'CompassConnection <b>Synchronized</b>');
  const items = [...page.matchAll(/<li><code>([^<]+)<\/code> ([^ ]+) →/g)].map((m) => m[2]);
  t.same(items, ['WAKE', 'E8', 'E7', 'E6', 'E5', 'E4', 'E3', 'E2'], 'the eight latest, newest first');
  t.ok(page.indexOf('current state') > page.indexOf('<h1>') && page.indexOf('current state') < page.indexOf('<svg>'), 'between the title and the diagram');
});
