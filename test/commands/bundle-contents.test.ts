// What scripts/bundle.mjs leaves out: @kubernetes/client-node declares no sideEffects, and the bundle
// takes its modules as free of them, so that of client-node only what the agent calls (KubeConfig)
// is bundled, not the generated models and APIs of every Kubernetes group its index re-exports.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NOT_BUILT } from '../helpers/cli-process.js';

const BUNDLE = fileURLToPath(new URL('../../dist/bundle/', import.meta.url));

t.test("the bundles hold client-node's KubeConfig and none of its generated models", { skip: NOT_BUILT }, async (t) => {
  const files = readdirSync(BUNDLE).filter((name) => name.endsWith('.js'));
  const text = (name: string) => readFileSync(`${BUNDLE}${name}`, 'utf8');
  t.match(text('run.js'), /KubeConfig/, "the agent's bundle has client-node's KubeConfig");
  // Every generated model class declares its attributeTypeMap; the agent's own code names none.
  const withModels = files.filter((name) => text(name).includes('attributeTypeMap'));
  t.same(withModels, [], `no generated model in any of the ${files.length} files of dist/bundle`);
});
