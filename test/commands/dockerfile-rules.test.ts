// The Dockerfile's rules, checked statically since no image can be built here (no docker engine):
// a pinned base image of a supported Node.js LTS line, one base for both stages; a build stage that
// copies exactly what the bundle needs (checked by building the bundle from those files alone);
// a runtime stage with the bundle only, a non-root user matching the Deployment, and node as PID 1
// through an exec-form ENTRYPOINT, so that it receives SIGTERM. test/commands/container-image.test.ts
// runs the runtime stage's layout on the image's Node.js release.
import t from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { fromLines, imageNodeVersion } from '../helpers/image-node.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/** Node.js LTS lines and their end of life (github.com/nodejs/Release, schedule.json). */
const LTS_END_OF_LIFE: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };

interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of each stage (comments and blank lines dropped; no line continuations are used). */
function stages(text: string): Instruction[][] {
  const result: Instruction[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.endsWith('\\'))
      throw new Error(`the Dockerfile uses no line continuations, so that this test reads every instruction whole: ${line}`);
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    if (result.length === 0) continue; // ARG before FROM
    result.at(-1)!.push(instruction);
  }
  return result;
}

function copies(stage: Instruction[]): Array<{ sources: string[]; destination: string; from?: string }> {
  return stage
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts[0].startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
      t.notOk(
        parts.some((p) => p.startsWith('--')),
        `no other COPY flags: ${i.args}`,
      );
      const destination = parts.pop()!;
      return { sources: parts, destination, ...(from ? { from } : {}) };
    });
}

/** Top-level folders of every source file the command line imports, transitively. */
function foldersTheBundleNeeds(): Set<string> {
  const seen = new Set<string>();
  const folders = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    folders.add(relative(root, file).split('/')[0]);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), match[1]).replace(/\.js$/, '.ts');
      if (existsSync(target)) visit(target);
      else t.fail(`${relative(root, file)} imports ${match[1]}, which is not a TypeScript source`);
    }
  };
  visit(join(root, 'src/cli.ts'));
  return folders;
}

const [build, runtime] = stages(dockerfile);

t.test('both stages start from one base image, pinned by its full version (and a digest when given)', async (t) => {
  const from = fromLines(dockerfile);
  t.equal(from.length, 2, 'a build stage and a runtime stage');
  for (const { image, line } of from) {
    t.match(
      image,
      /^node:\d+\.\d+\.\d+-[a-z0-9]+(-slim)?(@sha256:[0-9a-f]{64})?$/,
      `${line}: node:MAJOR.MINOR.PATCH-VARIANT, no floating tag`,
    );
    t.notMatch(image, /latest|\$/, 'no latest, no build argument');
  }
  t.equal(new Set(from.map((f) => f.image)).size, 1, 'the same base in both stages');
  t.equal(from[0].stage, 'build');
  if (!from[0].image.includes('@sha256:')) {
    t.match(dockerfile, /digest is not pinned because it cannot be known here/, 'without a digest, the file says why');
  }
});

t.test("the base image's Node.js release line is an LTS line that is still supported", async (t) => {
  const version = imageNodeVersion(dockerfile);
  const major = Number(version.split('.')[0]);
  const endOfLife = LTS_END_OF_LIFE[major];
  t.ok(endOfLife, `Node ${major} is an LTS line (for a newer one, add its end of life from the Node.js release schedule)`);
  t.ok(
    Date.now() < Date.parse(`${endOfLife}T23:59:59Z`),
    `Node ${major} is supported until ${endOfLife}: move the image to the current LTS line once it is not`,
  );
  t.ok(major > 20, 'not Node 20, which left support in April 2026');
  t.match(readFileSync(join(root, '.ci/run'), 'utf8'), /Dockerfile/, 'CI takes the release it runs the agent on from the Dockerfile');
});

t.test('the build stage copies exactly what the bundle needs, not bench/ or test/', async (t) => {
  const needed = foldersTheBundleNeeds();
  t.same([...needed].sort(), ['adapters', 'machines', 'sim', 'src'], 'the command line imports src, machines, adapters and sim');
  const copied = copies(build).flatMap((c) => c.sources);
  const expected = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs', ...needed];
  t.same(
    [...copied].sort(),
    [...expected].sort(),
    'the manifests, the compiler settings, scripts/bundle.mjs and those folders; nothing else',
  );
  for (const unwanted of ['bench', 'test', 'scripts', 'node_modules', 'dist', '.'])
    t.notOk(copied.includes(unwanted), `${unwanted} is not copied`);
  const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  t.same(runs, ['npm ci --ignore-scripts --no-audit --no-fund && npm run build'], 'the locked dependencies, then the build');
});

t.test("those files alone build the bundle (the build stage, laid out here with this checkout's node_modules)", async (t) => {
  const stageDir = mkdtempSync(join(tmpdir(), 'build-stage-'));
  t.teardown(() => rmSync(stageDir, { recursive: true, force: true }));
  for (const { sources, destination } of copies(build)) {
    for (const source of sources) {
      const target =
        destination.endsWith('/') || destination === '.'
          ? join(stageDir, destination, source.split('/').pop()!)
          : join(stageDir, destination);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, source), target, { recursive: true });
    }
  }
  // What `npm ci` installs from package-lock.json: the same tree this checkout has.
  symlinkSync(join(root, 'node_modules'), join(stageDir, 'node_modules'));
  await run(process.execPath, [join(stageDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: stageDir,
    timeout: 100_000,
  });
  await run(process.execPath, ['scripts/bundle.mjs'], { cwd: stageDir, timeout: 60_000 });
  t.ok(existsSync(join(stageDir, 'dist/bundle/cli.js')), 'dist/bundle/cli.js is built');
  const main = `const cli = await import(${JSON.stringify(join(stageDir, 'dist/bundle/cli.js'))}); await cli.main(['--help']);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', main], { cwd: stageDir });
  t.match(stdout, /^usage: runtime-agent COMMAND/, 'and it runs');
});

t.test('the runtime stage: the bundle only, a non-root user matching the Deployment, node as PID 1 in exec form', async (t) => {
  const copied = copies(runtime);
  t.same(
    copied.map((c) => `${c.from ? `${c.from}:` : ''}${c.sources.join(' ')}`).sort(),
    ['bin', 'build:/app/dist/bundle', 'crds', 'package.json'].sort(),
    'package.json (type module), bin/runtime-agent, crds/ (for demo and sim) and the bundle; no node_modules, no sources',
  );
  const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
  t.match(user, /^\d+(:\d+)?$/, 'USER is numeric, so runAsNonRoot can check it');
  const uid = Number(user.split(':')[0]);
  t.not(uid, 0, 'and not root');
  const deployment = parseYaml(readFileSync(join(root, 'deploy/deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { securityContext?: { runAsUser?: number; runAsNonRoot?: boolean } } } };
  };
  t.equal(deployment.spec.template.spec.securityContext?.runAsUser, uid, "the Deployment's runAsUser is the image's user");
  t.equal(deployment.spec.template.spec.securityContext?.runAsNonRoot, true);

  const entrypoint = runtime.filter((i) => i.keyword === 'ENTRYPOINT');
  const cmd = runtime.filter((i) => i.keyword === 'CMD');
  t.equal(entrypoint.length, 1, 'one ENTRYPOINT');
  t.equal(cmd.length, 1, 'one CMD');
  const exec = JSON.parse(entrypoint[0].args) as string[];
  t.ok(Array.isArray(exec), 'ENTRYPOINT in exec form (a JSON array): no /bin/sh -c in front of node');
  t.equal(exec[0], 'node', 'node itself is the process the container starts (PID 1), so SIGTERM reaches it');
  t.equal(exec.at(-1), '/app/bin/runtime-agent', 'running the command line');
  t.ok(
    exec.slice(1, -1).every((flag) => /^--disable-warning=DEP\d{4}$/.test(flag)),
    `node flags are only named deprecation warnings turned off: ${exec.slice(1, -1).join(' ')}`,
  );
  t.same(JSON.parse(cmd[0].args), ['run'], 'CMD in exec form: run');
  t.ok(
    runtime.some((i) => i.keyword === 'ENV' && /^NODE_ENV=production$/.test(i.args)),
    'NODE_ENV=production',
  );
  t.notOk(
    runtime.some((i) => i.keyword === 'RUN'),
    'nothing runs in the runtime stage: no package manager, no extra layer',
  );
});

t.test('.dockerignore keeps the build context small and excludes nothing a COPY needs', async (t) => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const name of ['.git', 'node_modules', 'dist']) t.ok(ignored.includes(name), `${name} is not sent to the builder`);
  for (const { sources, from } of [...copies(build), ...copies(runtime)]) {
    if (from) continue;
    for (const source of sources) t.notOk(ignored.includes(source.split('/')[0]), `${source} is copied, so it is not ignored`);
  }
});
