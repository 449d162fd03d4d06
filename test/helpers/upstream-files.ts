// The upstream files the tests check the project against live outside it, in the development
// workspace's ../shared/spec: the Compass GraphQL schemas and what the Kyma chart installs for the Go
// agent (CRDs, RBAC, Deployment). Tests skip with a message where they are absent.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sharedSpec = join(repoRoot, '..', 'shared', 'spec');

/** Where the Kyma chart's objects for the Go agent are kept (the folder may be absent). */
export const UPSTREAM_INSTALL_DIR = join(sharedSpec, 'upstream-install');

/** A file of ../shared/spec/upstream-install (e.g. `compassconnections-crd.yaml`), or undefined when absent. */
export function upstreamInstallFile(name: string): string | undefined {
  const path = join(UPSTREAM_INSTALL_DIR, name);
  return existsSync(path) ? path : undefined;
}

/** The folder of the upstream Compass GraphQL schemas ($COMPASS_SCHEMAS_DIR or ../shared/spec/compass-schemas). */
export function upstreamSchemaDir(): string | undefined {
  const fromEnv = process.env.COMPASS_SCHEMAS_DIR;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const dir = join(sharedSpec, 'compass-schemas');
  return existsSync(dir) ? dir : undefined;
}
