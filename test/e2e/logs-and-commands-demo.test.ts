// The demo's hint for changing what Compass assigns works as printed: the commands it shows, run
// as they stand in a shell, add and remove applications, and the demo shows the agent following.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { NOT_BUILT, spawnCli } from '../helpers/cli-process.js';

const sh = promisify(execFile);
const NO_CURL = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((p) => existsSync(p))
  ? false
  : 'curl is not installed (.ci/run installs it)';

t.test('the demo prints commands that add and remove applications when pasted into a shell', { skip: NOT_BUILT || NO_CURL }, async (t) => {
  const demo = spawnCli(['demo', '--apps', '2']);
  t.teardown(() => demo.kill());
  await demo.line(/2 Application resources: /, 90_000);
  await demo.line(/Ctrl-C stops/, 30_000);
  const commands = demo.stdout.filter((line) => /^\s+curl /.test(line)).map((line) => line.trim());
  t.equal(commands.length, 2, `an add and a remove command:\n${commands.join('\n')}`);
  t.match(commands[0], /^curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/applications\/generate -d '\{"count":2,"seed":2\}'/);
  t.match(commands[1], /^curl -s -X DELETE http:\/\/127\.0\.0\.1:\d+\/applications\/[0-9a-f-]{36}/);

  // Exactly as printed, comments included: the shell is what a reader pastes into.
  const added = await sh('sh', ['-c', commands[0]]);
  t.match(added.stdout, /"generated":2/, 'Compass generated two applications');
  await demo.line(/4 Application resources: /, 60_000);
  t.pass('the agent synchronized them: the demo shows 4 Application resources');
  const removed = await sh('sh', ['-c', commands[1]]);
  t.match(removed.stdout, /"removed":true/, 'Compass removed one');
  await demo.line(/3 Application resources: /, 60_000);
  t.pass('the agent followed: 3 Application resources');

  demo.child.kill('SIGINT');
  t.equal(await demo.exit, 0, 'Ctrl-C stops it with exit code 0');
  t.notMatch(demo.stdout.join('\n'), /TOKEN|BEGIN/, 'no secret in the progress view');
});
