// The runtime stage of the Dockerfile, laid out in a temporary folder exactly as its COPY lines say
// (there is no docker engine here), runs the agent through its ENTRYPOINT and CMD, on the Node.js
// release of the image's base (fetched from the npm registry's `node` package), against the
// simulators. This proves the shipped bundle is self-contained (no node_modules anywhere up the
// tree), that it runs on the release the image ships, that the agent connects and synchronizes, and
// that node, started as the ENTRYPOINT, gets SIGTERM and stops cleanly.
import t from 'tap';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfigSecret, deploymentNodeOptions, waitForConnectionState } from '../../bench/agent-process.js';
import { spawnInstalledAgent } from '../helpers/agent-install.js';
import { imageNode } from '../helpers/image-node.js';

const root = new URL('../..', import.meta.url).pathname;
const built = existsSync(join(root, 'dist/bundle/cli.js'));

interface RuntimeStage {
  copies: Array<{ from: string; to: string }>;
  workdir: string;
  command: string[];
}

/** COPY, WORKDIR, ENTRYPOINT and CMD of the last stage; `--from=build` sources are build outputs under /app. */
function runtimeStage(dockerfile: string): RuntimeStage {
  const stages = dockerfile.split(/^FROM /m);
  const lines = stages[stages.length - 1].split('\n').map((l) => l.trim());
  const stage: RuntimeStage = { copies: [], workdir: '/', command: [] };
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    if (instruction === 'WORKDIR') stage.workdir = rest[0]!;
    if (instruction === 'COPY') {
      const fromBuild = rest[0] === '--from=build';
      const [from, to] = fromBuild ? rest.slice(1) : rest;
      stage.copies.push({ from: fromBuild ? from.replace(/^\/app\//, '') : from, to: to });
    }
    if (instruction === 'ENTRYPOINT') entrypoint = JSON.parse(line.slice('ENTRYPOINT'.length)) as string[];
    if (instruction === 'CMD') cmd = JSON.parse(line.slice('CMD'.length)) as string[];
  }
  stage.command = [...entrypoint, ...cmd];
  return stage;
}

// The image's node (from the npm registry; under CI it must be there, elsewhere its absence skips).
const imageRelease = built ? await imageNode() : undefined;
const skip = !built
  ? 'dist/bundle is missing: run npm run build'
  : imageRelease && 'unavailable' in imageRelease
    ? imageRelease.unavailable
    : false;

t.test("the image layout runs the agent to Synchronized without node_modules, on the image's Node.js release", { skip }, async (t) => {
  const node = imageRelease as { path: string; version: string };
  const stage = runtimeStage(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  t.ok(
    stage.copies.some((c) => c.from === 'dist/bundle'),
    'the image carries the bundle',
  );
  t.notOk(
    stage.copies.some((c) => c.from.includes('node_modules')),
    'and no node_modules',
  );

  const image = mkdtempSync(join(tmpdir(), 'image-'));
  const app = join(image, stage.workdir);
  for (const { from, to } of stage.copies)
    cpSync(join(root, from), to.endsWith('/') ? join(app, to, from.split('/').pop()!) : join(app, to), { recursive: true });
  // `node` in the image is the base image's node: here the same release from the npm registry.
  const command = stage.command.map((part) =>
    part === 'node' ? node.path : part.startsWith(stage.workdir) ? join(image, part) : part,
  ) as [string, ...string[]];
  t.equal(command[0], node.path, `node ${node.version} runs the agent`);
  t.same(command.slice(-1), ['run']);

  t.teardown(() => rmSync(image, { recursive: true, force: true }));
  // tap adds its coverage loader to every child's NODE_OPTIONS (--import …/processinfo); the image has
  // none, and on this release it breaks loading the extensionless bin script. env(1) puts the
  // Deployment's NODE_OPTIONS back and execs node, which stays the process that gets the signals.
  const { sims, agent } = await spawnInstalledAgent(t, {
    apps: 2,
    command: ['/usr/bin/env', `NODE_OPTIONS=${deploymentNodeOptions()}`, ...command],
  });

  const token = await createConfigSecret(sims);
  await waitForConnectionState(sims, agent, 'Synchronized', 60_000);
  const applications = sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application');
  t.equal(applications.length, 2, 'both applications of the Runtime are in the cluster');
  const logLines = agent.output().split('\n').filter(Boolean);
  t.ok(logLines.length > 0 && logLines.every((line) => line.startsWith('{')), 'every line on stdout and stderr is a JSON log record');
  t.notOk(agent.output().includes(token), 'the one-time token never reaches the log');
  t.notMatch(agent.output(), /-----BEGIN/, 'no key or certificate in the log');
  t.notMatch(agent.output(), /DeprecationWarning|ExperimentalWarning/, `no deprecation or experimental warning on node ${node.version}`);

  await agent.stop();
  t.match(agent.output(), /"signal":"SIGTERM","msg":"stopping"/, 'node received SIGTERM itself and the agent stopped cleanly');
});
