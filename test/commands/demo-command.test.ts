// `npm start` runs `runtime-agent demo`: the simulators and the agent in one process. With --once it
// must reach Synchronized, show the Applications and labels, and exit 0.
import t from 'tap';
import { run } from '../../src/commands/demo.js';

t.test('demo --once reaches Synchronized on the built-in simulators and exits 0', async (t) => {
  const lines: string[] = [];
  const code = await run(['--apps', '3', '--once', '--timeout', '90'], (line) => lines.push(line));
  const text = lines.join('\n');
  t.equal(code, 0, text);
  t.match(text, /Secret kyma-system\/compass-agent-configuration created with a one-time token/);
  t.match(text, /Connecting\s+CompassConnection/);
  t.match(text, /Certified\.Connected\.Idle\s+CompassConnection: Synchronized/);
  t.match(text, /3 Application resources: mp-/);
  t.match(text, /runtime labels: runtime_eventServiceUrl=https:\/\/gateway\.kyma\.local runtime_consoleUrl=https:\/\/console\.kyma\.local/);
  t.notMatch(text, /TOKEN|BEGIN/, 'no secret in the progress view');
});

t.test('demo rejects unknown options with exit code 2', async (t) => {
  t.equal(await run(['--bogus'], () => undefined), 2);
  t.equal(await run(['--apps', 'many'], () => undefined), 2);
});
