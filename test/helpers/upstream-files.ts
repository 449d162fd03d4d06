// The upstream files the tests check the project against live outside it, in the development
// workspace's ../shared/spec: the Compass GraphQL schemas and what the Kyma chart installs for the Go
// agent (CRDs, RBAC, Deployment). Tests skip with a message where they are absent, unless they are
// required (upstreamRequired): then every test file that uses them fails while any is missing.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sharedSpec = join(repoRoot, '..', 'shared', 'spec');

/** Where the Kyma chart's objects for the Go agent are kept (the folder may be absent). */
export const UPSTREAM_INSTALL_DIR = join(sharedSpec, 'upstream-install');

/** What the tests read from the upstream folders. */
export const UPSTREAM_SCHEMA_FILES = ['connector.graphql', 'director-newest.graphql'] as const;
export const UPSTREAM_INSTALL_FILES = ['applications-crd.yaml', 'compassconnections-crd.yaml', 'go-agent-install.yaml'] as const;

/** A file of ../shared/spec/upstream-install (e.g. `compassconnections-crd.yaml`), or undefined when absent. */
export function upstreamInstallFile(name: string): string | undefined {
  const path = join(UPSTREAM_INSTALL_DIR, name);
  return existsSync(path) ? path : undefined;
}

/** The folder of the upstream Compass GraphQL schemas ($COMPASS_SCHEMAS_DIR or ../shared/spec/compass-schemas). */
export function upstreamSchemaDir(): string | undefined {
  const dir = schemaDirSetting();
  return existsSync(dir) ? dir : undefined;
}

const schemaDirSetting = () => process.env.COMPASS_SCHEMAS_DIR || join(sharedSpec, 'compass-schemas');

/**
 * Whether a missing upstream file fails the tests instead of skipping them:
 * - RUNTIME_AGENT_REQUIRE_UPSTREAM=1 (.ci/run sets it where ../shared/spec exists); =0 never;
 * - otherwise under CI=true when the upstream is partly there (../shared/spec exists, or
 *   COMPASS_SCHEMAS_DIR names a folder): a CI that has or names the files means them to be used,
 *   while one without ../shared at all cannot turn red by its absence alone.
 */
export function upstreamRequired(env: NodeJS.ProcessEnv = process.env, sharedSpecExists = existsSync(sharedSpec)): boolean {
  if (env.RUNTIME_AGENT_REQUIRE_UPSTREAM === '1') return true;
  if (env.RUNTIME_AGENT_REQUIRE_UPSTREAM === '0') return false;
  const ci = env.CI === 'true' || env.CI === '1';
  return ci && (sharedSpecExists || !!env.COMPASS_SCHEMAS_DIR);
}

/** The upstream files that are missing, as paths. */
export function missingUpstreamFiles(): string[] {
  return [
    ...UPSTREAM_SCHEMA_FILES.map((name) => join(schemaDirSetting(), name)),
    ...UPSTREAM_INSTALL_FILES.map((name) => join(UPSTREAM_INSTALL_DIR, name)),
  ].filter((path) => !existsSync(path));
}

if (upstreamRequired()) {
  const missing = missingUpstreamFiles();
  if (missing.length > 0) {
    t.fail(
      `the upstream files are required here (RUNTIME_AGENT_REQUIRE_UPSTREAM=1, or CI with ../shared/spec or COMPASS_SCHEMAS_DIR) and missing: ${missing.join(', ')}; ` +
        'the contract tests would skip without them. Put them back, point COMPASS_SCHEMAS_DIR at the schemas, or set RUNTIME_AGENT_REQUIRE_UPSTREAM=0 to let them skip.',
    );
  }
}
