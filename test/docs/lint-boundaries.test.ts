// The lint rules that guard the design hold: eslint.config.mjs refuses an import against the layers of
// docs/design.md (src → adapters → machines, sim/ apart), a floating promise and an `as unknown as` cast in product
// code, and lets the allowed imports through. Seeded files are linted as text under their would-be paths; they are
// never written to disk.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The seeded files exist only as text: the TypeScript project service types them with tsconfig.json's options, as
// it would a file of the project (the config's other settings are unchanged).
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['machines/seeded*.ts', 'adapters/seeded*.ts', 'src/seeded*.ts', 'sim/seeded*.ts'],
          defaultProject: 'tsconfig.json',
          // One file per case; the limit (8) guards whole projects linted without a tsconfig, not a few seeded texts.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 32,
        },
      },
    },
  },
});

async function problems(filePath: string, code: string): Promise<Array<{ rule: string | null; message: string }>> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => ({ rule: m.ruleId, message: m.message }));
}

const rules = (found: Array<{ rule: string | null }>) => found.map((p) => p.rule);

t.test('an import against the direction of the layers is refused', async (t) => {
  const seeded: Array<[file: string, code: string, why: string]> = [
    [
      'machines/seeded.ts',
      "import { KubeRest } from '../adapters/kube/kube-rest.js';\nexport const seeded: unknown = KubeRest;\n",
      'machines/ → adapters/',
    ],
    [
      'machines/seeded-src.ts',
      "import type { AgentConfig } from '../src/config.js';\nexport type Seeded = AgentConfig;\n",
      'machines/ → src/, a type import too',
    ],
    [
      'adapters/seeded.ts',
      "import { loadConfig } from '../src/config.js';\nexport const seeded: unknown = loadConfig;\n",
      'adapters/ → src/',
    ],
    ['adapters/seeded-sim.ts', "export { startKubeSim } from '../sim/kube/index.js';\n", 'adapters/ → sim/, as a re-export'],
    [
      'src/seeded.ts',
      "import { startKubeSim } from '../sim/kube/index.js';\nexport const seeded: unknown = startKubeSim;\n",
      'src/ → sim/',
    ],
    ['sim/seeded.ts', "import { loadConfig } from '../src/config.js';\nexport const seeded: unknown = loadConfig;\n", 'sim/ → src/'],
  ];
  for (const [file, code, why] of seeded) {
    const found = await problems(file, code);
    t.same(rules(found), ['no-restricted-imports'], why);
  }
  const dynamic = await problems(
    'src/seeded-dynamic.ts',
    "export const load = () => import('../sim/kube/index.js');\nexport type Sim = typeof import('../sim/kube/index.js');\n",
  );
  t.same(rules(dynamic), ['no-restricted-syntax', 'no-restricted-syntax'], 'a dynamic import() and an import() type too');
  t.match(dynamic[0]?.message, /only src\/commands\/simulators\.ts starts them/, 'the message says where the simulators may be started');
});

t.test('the imports the layers allow pass', async (t) => {
  t.same(
    await problems(
      'src/seeded-ok.ts',
      "import { errorMessage } from '../adapters/unknown-values.js';\nimport type { AgentContext } from '../machines/agent-context.js';\nexport const seeded = (c: AgentContext, e: unknown): string => `${c.connectionState ?? ''}${errorMessage(e)}`;\n",
    ),
    [],
    'src/ → adapters/, machines/',
  );
  t.same(
    await problems(
      'adapters/seeded-ok.ts',
      "import type { AgentContext } from '../machines/agent-context.js';\nexport type Seeded = AgentContext;\n",
    ),
    [],
    'adapters/ → machines/ types',
  );
  const simulators = 'src/commands/simulators.ts';
  t.same(
    await problems(simulators, readFileSync(new URL(`../../${simulators}`, import.meta.url), 'utf8')),
    [],
    'the one product file that starts the simulators imports sim/',
  );
});

t.test('a floating promise in product code is refused', async (t) => {
  const floating = await problems(
    'src/seeded-floating.ts',
    'async function work(): Promise<void> {}\nexport function start(): void {\n  work();\n}\n',
  );
  t.same(rules(floating), ['@typescript-eslint/no-floating-promises']);
  const handled = await problems(
    'src/seeded-handled.ts',
    'async function work(): Promise<void> {}\nexport async function start(): Promise<void> {\n  await work();\n}\n',
  );
  t.same(handled, [], 'an awaited one passes');
  const misused = await problems(
    'src/seeded-misused.ts',
    "import { EventEmitter } from 'node:events';\nexport function listen(e: EventEmitter): void {\n  e.on('x', async () => {});\n}\n",
  );
  t.same(rules(misused), ['@typescript-eslint/no-misused-promises'], 'an async listener where a void callback is expected');
});

t.test('`as unknown as` is refused everywhere; an unchecked narrowing cast in product code', async (t) => {
  const double = 'export const seeded = (value: string): number => value as unknown as number;\n';
  t.same(
    rules(await problems('src/seeded-cast.ts', double)).sort(),
    ['@typescript-eslint/no-unsafe-type-assertion', 'no-restricted-syntax'],
    'in product code, where the narrowing is refused as well',
  );
  t.same(rules(await problems('sim/seeded-cast.ts', double)), ['no-restricted-syntax'], 'in the simulators too');
  t.same(rules(await problems('src/seeded-narrow.ts', 'export const seeded = (value: unknown): string => value as string;\n')), [
    '@typescript-eslint/no-unsafe-type-assertion',
  ]);
});
