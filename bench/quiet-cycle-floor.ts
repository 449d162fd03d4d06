// The floor of a quiet cycle: a bare node process (bench/floor-client.ts) requesting the Director's
// application pages as the agent's quiet cycle does, with the agent's client certificate, along the
// cursor chain it read once, at most MAX_IN_FLIGHT at a time, hashing each answer's bytes (sha256) and
// keeping nothing. What a quiet cycle costs for receiving and hashing the answers over TLS alone, before
// the agent does anything of its own; the client also times each cycle's requests, the floor of the
// no-change cycle's duration.
import type { Simulators } from '../src/commands/simulators.js';
import { APPLICATIONS_PAGE_QUERY, RUNTIME_CONFIGURATION_QUERY } from '../adapters/compass/director-queries.js';
import { DEFAULT_PAGE_SIZE, NESTED_PAGE_SIZE_LIMIT } from '../adapters/compass/director-client.js';
import { MAX_IN_FLIGHT } from '../adapters/compass/director-prefetch.js';
import { loadConfig } from '../src/config.js';
import { floorCycles, type FloorCycles } from './floor-client.js';
import { SETTLING_CYCLES } from './steady-cycles.js';

const CLIENT = `
import https from 'node:https';
import { createHash } from 'node:crypto';
const env = process.env;
const agent = new https.Agent({ keepAlive: true, ca: env.CA, cert: env.CERT, key: env.KEY });
const post = (query, after, read) => new Promise((resolve, reject) => {
  const body = JSON.stringify({ query, variables: { runtimeId: env.RUNTIME_ID, first: Number(env.PAGE_SIZE), after, nestedFirst: Number(env.NESTED_PAGE_SIZE) } });
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body), Tenant: env.TENANT };
  const req = https.request(env.URL, { method: 'POST', agent, headers }, (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => {
      if (res.statusCode !== 200) return reject(new Error('HTTP ' + res.statusCode));
      if (read) return resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const digest = createHash('sha256');
      for (const chunk of chunks) digest.update(chunk);
      resolve(digest.digest('base64'));
    });
  });
  req.on('error', reject);
  req.end(body);
});
const query = (after) => (after === null ? env.FIRST_QUERY : env.PAGE_QUERY);
// The cursor chain, read once.
const chain = [null];
for (;;) {
  const answer = await post(query(chain.at(-1)), chain.at(-1), true);
  const page = answer.data?.applicationsForRuntime;
  if (!page) throw new Error('no applicationsForRuntime in ' + JSON.stringify(answer).slice(0, 300));
  if (!page.pageInfo.hasNextPage) break;
  chain.push(page.pageInfo.endCursor);
}
for (;;) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < chain.length) {
      const after = chain[next++];
      await post(query(after), after, false);
    }
  };
  await Promise.all(Array.from({ length: Number(env.IN_FLIGHT) }, worker));
  process.stdout.write('cycle ' + (performance.now() - started).toFixed(1) + '\\n');
  await new Promise((resolve) => setTimeout(resolve, Number(env.PERIOD_MS)));
}
`;

/** CPU per cycle and cycle durations of the quiet-cycle floor client against these simulators, with the client certificate the agent stored, after SETTLING_CYCLES. */
export async function quietCycleFloor(sims: Simulators, periodMs: number, cycles: number): Promise<FloorCycles> {
  // The agent ran with the default configuration: its certificate is in the default Secret.
  const secret = loadConfig({}).clusterCertificatesSecret;
  const stored = sims.kube.get('v1', 'Secret', secret.name, secret.namespace) as { data?: Record<string, string> } | undefined;
  const decoded = (key: string) => {
    const value = stored?.data?.[key];
    if (!value) throw new Error(`the Secret ${secret.namespace}/${secret.name} has no ${key}: did the agent connect?`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return floorCycles({
    script: CLIENT,
    env: {
      URL: sims.compass.directorUrl,
      CA: sims.compass.serverCaPem,
      CERT: decoded('crt'),
      KEY: decoded('key'),
      RUNTIME_ID: sims.compass.runtimeId,
      TENANT: sims.compass.tenant,
      PAGE_SIZE: String(DEFAULT_PAGE_SIZE),
      NESTED_PAGE_SIZE: String(Math.min(DEFAULT_PAGE_SIZE, NESTED_PAGE_SIZE_LIMIT)),
      FIRST_QUERY: RUNTIME_CONFIGURATION_QUERY,
      PAGE_QUERY: APPLICATIONS_PAGE_QUERY,
      IN_FLIGHT: String(MAX_IN_FLIGHT),
      PERIOD_MS: String(periodMs),
    },
    periodMs,
    // The agent's figure leaves out its settling cycles; the floor's leaves out as many.
    warmUpCycles: SETTLING_CYCLES,
    windowMs: cycles * periodMs + periodMs / 2,
  });
}
