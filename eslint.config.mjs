// @ts-check
// ESLint (flat config) for every TypeScript file of the repository, with type information from tsconfig.json.
// `npm run lint` runs it and then `prettier --check .`; the formatter owns layout, so no stylistic rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PRODUCT = ['src/**/*.ts', 'machines/**/*.ts', 'adapters/**/*.ts'];

// --- Import boundaries (docs/design.md, "Layers"): src → adapters → machines, and sim/ apart. ---------------------
// ESLint's own no-restricted-imports, one block per folder, rather than a plugin: the imports are all relative and
// written by hand (no path aliases, no index barrels across layers), so a folder name as a path segment is the layer,
// and no resolver (which would have to map `.js` specifiers to `.ts` files) stands between the rule and the text.
// It covers static imports and re-exports, `import type` included; dynamic `import()` and `typeof import()` types
// are covered by the matching no-restricted-syntax selectors below.
const LAYER_MESSAGES = {
  adapters: 'adapters/ touches the world; only src/ wires it (docs/design.md, Layers).',
  src: 'src/ is the top layer; nothing below it (machines/, adapters/) or beside it (sim/) imports it.',
  sim: 'sim/ holds the simulators; the product does not import them (only src/commands/simulators.ts starts them).',
  bench: 'bench/ is tooling; nothing imports it.',
  test: 'test/ is tests; nothing imports it.',
};
const SIM_APART = 'sim/ stays apart from the product: the simulators stand in for the servers it talks to and share none of its code.';
/** A relative specifier with `layer` as one of its path segments, e.g. `../../sim/kube/index.js`. */
const layerRegex = (layer) => `^\\.{1,2}/(?:.*/)?${layer}(?:/|$)`;
/** The same for esquery (no-restricted-syntax), where `/` must be escaped. */
const layerSelectorRegex = (layer) => `/^\\.{1,2}\\/(?:.*\\/)?${layer}(?:\\/|$)/`;

// `x as unknown as T` compiles anything to anything: banned everywhere, tests included. Say what the value is instead
// (a type guard, `satisfies`, a wider declared type, or a checked conversion).
const DOUBLE_CAST = {
  selector: "TSAsExpression > TSAsExpression.expression[typeAnnotation.type='TSUnknownKeyword']",
  message: '`as unknown as` casts anything to anything: narrow with a type guard or declare the real type.',
};

/** no-restricted-imports and no-restricted-syntax for a folder that must not import `layers`. */
function forbidLayers(layers, message = (layer) => LAYER_MESSAGES[layer]) {
  return {
    'no-restricted-imports': ['error', { patterns: layers.map((layer) => ({ regex: layerRegex(layer), message: message(layer) })) }],
    'no-restricted-syntax': [
      'error',
      DOUBLE_CAST,
      ...layers.flatMap((layer) => [
        { selector: `ImportExpression[source.value=${layerSelectorRegex(layer)}]`, message: message(layer) },
        { selector: `TSImportType[argument.literal.value=${layerSelectorRegex(layer)}]`, message: message(layer) },
      ]),
    ],
  };
}

export default defineConfig(
  {
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // --- Every TypeScript file: recommended, type-checked. -------------------------------------------------------
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // Promises: a floating promise loses its rejection; a promise where a void callback is expected (an event
      // listener, setTimeout) is never awaited by its caller.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // `async` without `await` is used on purpose: it turns a synchronous throw into a rejection and implements an
      // async interface with a body that has nothing to wait for.
      '@typescript-eslint/require-await': 'off',
      // The effect runtime throws the machine's EffectFailure (a plain, serializable object): xstate hands it to the
      // machine as the error event's payload and the event log records it as it is.
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'EffectFailure', path: 'machines/agent-events.ts' }] },
      ],
      'no-restricted-syntax': ['error', DOUBLE_CAST],
      // A `let` declared before the closures that read it and assigned once later (after createActor, after a
      // server starts) cannot be a const: the closures would meet it in its temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_name` marks a deliberately unused binding (a parameter kept for its position, a property dropped by
      // destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  // --- Product code: no unchecked narrowing casts either. ------------------------------------------------------
  {
    files: PRODUCT,
    rules: {
      '@typescript-eslint/no-unsafe-type-assertion': 'error',
    },
  },

  // --- Simulators, benchmarks, tests: the same promise rules, without the `any` bookkeeping. ----------------------
  // The simulators parse arbitrary JSON from their clients and the tests poke at it; typing every such access would
  // be churn without a bug behind it. The promise rules, the double-cast ban and the boundaries still hold.
  {
    files: ['sim/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // String(x) and `${x}` of such values are how the simulators echo what they were sent, as the real servers do.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap queues subtests and awaits them itself: `t.test(...)` returns a PromiseWithSubtest that needs no await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
    },
  },

  // --- Layers. ---------------------------------------------------------------------------------------------------
  { files: ['machines/**/*.ts'], rules: forbidLayers(['adapters', 'src', 'sim', 'bench', 'test']) },
  { files: ['adapters/**/*.ts'], rules: forbidLayers(['src', 'sim', 'bench', 'test']) },
  { files: ['src/**/*.ts'], rules: forbidLayers(['sim', 'bench', 'test']) },
  {
    // The one product file that starts the simulators, for the `demo` and `sim` commands (src/commands/demo.ts and
    // src/commands/sim.ts import it); the rest of src/ still may not import sim/.
    files: ['src/commands/simulators.ts'],
    rules: forbidLayers(['bench', 'test']),
  },
  {
    files: ['sim/**/*.ts'],
    rules: forbidLayers(['src', 'adapters', 'machines', 'bench', 'test'], () => SIM_APART),
  },

  // --- Plain JavaScript (the scripts, this file): recommended, no type information. ----------------------------------
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
);
