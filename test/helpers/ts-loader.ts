// The node flag that runs the TypeScript sources in a child process: scripts/ts-loader.mjs, the
// loader the tests themselves run with (.taprc). A file URL, so it works from any working directory.
export const TS_LOADER = `--import=${new URL('../../scripts/ts-loader.mjs', import.meta.url).href}`;
