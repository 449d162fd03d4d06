// The Node.js release the container image ships (its FROM line), as a binary on this machine: the
// npm registry's `node` package provides the official builds, so tests and CI can run the agent on the
// same release the image runs, while the project's tooling stays on the build machine's Node.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DOCKERFILE = new URL('../../Dockerfile', import.meta.url);

/** FROM lines of a Dockerfile: the image reference and the stage name. */
export function fromLines(dockerfile: string): Array<{ image: string; stage?: string; line: string }> {
  return dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^FROM\s/i.test(line))
    .map((line) => {
      const [, image, stage] = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line) ?? [];
      return { image: image ?? '', ...(stage ? { stage } : {}), line };
    });
}

/** The full Node.js version of the image's base (`node:26.10.0-trixie-slim` → `26.10.0`). */
export function imageNodeVersion(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string {
  const versions = new Set(fromLines(dockerfile).map(({ image }) => /^node:(\d+\.\d+\.\d+)-/.exec(image)?.[1]));
  if (versions.size !== 1 || versions.has(undefined))
    throw new Error(`the Dockerfile's stages must all start from one node:X.Y.Z-… image; found ${[...versions].join(', ')}`);
  return [...versions][0]!;
}

/**
 * The path of a node binary of the image's release: $RUNTIME_AGENT_IMAGE_NODE (set by .ci/run) when it
 * is that release, else fetched through `npx node@VERSION`. Returns a reason instead when it cannot be
 * had (no registry): tests skip with it, except under CI, where they must run.
 */
export async function imageNode(): Promise<{ path: string; version: string } | { unavailable: string }> {
  const version = imageNodeVersion();
  const isRelease = async (path: string) => (await run(path, ['--version']).catch(() => ({ stdout: '' }))).stdout.trim() === `v${version}`;
  const preset = process.env.RUNTIME_AGENT_IMAGE_NODE;
  if (preset && (await isRelease(preset))) return { path: preset, version };
  let path: string;
  try {
    path = (await run('npx', ['-y', `node@${version}`, '-p', 'process.execPath'], { timeout: 240_000 })).stdout.trim();
  } catch (error) {
    const reason = `node ${version} (the image's release) cannot be fetched with npx: ${(error as Error).message.split('\n')[0]}`;
    if (process.env.CI) throw new Error(reason);
    return { unavailable: reason };
  }
  if (!(await isRelease(path))) throw new Error(`npx node@${version} ran ${path}, which is not node ${version}`);
  return { path, version };
}
