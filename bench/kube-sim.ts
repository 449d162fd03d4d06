// Throughput and latency of the Kubernetes API simulator over HTTPS from one keep-alive client:
// creates/s, gets/s, time to list 10,000 objects, and watch delivery latency (write → event).
// BENCH_KUBE_SIM_OBJECTS sets how many objects are created (and listed); half as many are read.
import { Agent, request } from 'node:https';
import { pathToFileURL } from 'node:url';
import { startKubeSim } from '../sim/kube/index.js';

const PATH = '/api/v1/namespaces/default/configmaps';

/** How many objects the benchmark creates and lists: BENCH_KUBE_SIM_OBJECTS, 10,000 when unset. */
export function kubeSimObjects(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.BENCH_KUBE_SIM_OBJECTS ?? '10000';
  const objects = Number(value);
  if (!/^\d+$/.test(value) || objects < 2) throw new Error(`BENCH_KUBE_SIM_OBJECTS must be a whole number of at least 2, not "${value}"`);
  return objects;
}

export async function benchKubeSim(N = kubeSimObjects()): Promise<Record<string, number>> {
  const sim = await startKubeSim();
  try {
    const cert = await sim.clientCertificate();
    const agent = new Agent({ ca: sim.caPem, cert: cert.certPem, key: cert.keyPem, keepAlive: true, maxSockets: 1 });
    const url = new URL(sim.url);
    const call = (method: string, path: string, body?: unknown) =>
      new Promise<string>((resolve, reject) => {
        const text = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method,
            agent,
            headers: text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              res.statusCode! < 300
                ? resolve(Buffer.concat(chunks).toString())
                : reject(new Error(`${method} ${path} → ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(text);
      });

    let start = performance.now();
    for (let i = 0; i < N; i++)
      await call('POST', PATH, { metadata: { name: `cm-${i}`, labels: { i: String(i % 10) } }, data: { k: 'v' } });
    const createsPerSecond = N / ((performance.now() - start) / 1000);

    const G = Math.floor(N / 2);
    start = performance.now();
    for (let i = 0; i < G; i++) await call('GET', `${PATH}/cm-${i}`);
    const getsPerSecond = G / ((performance.now() - start) / 1000);

    start = performance.now();
    const listed = JSON.parse(await call('GET', PATH)).items.length;
    const listMs = performance.now() - start;
    if (listed !== N) throw new Error(`expected ${N} items in the list, got ${listed}`);

    // Watch latency: one stream, sequential writes, time from sending the write to receiving its event.
    const latencies: number[] = [];
    let pending: { name: string; at: number; done: () => void } | undefined;
    const watchAgent = new Agent({ ca: sim.caPem, cert: cert.certPem, key: cert.keyPem });
    const watchReq = request({
      host: url.hostname,
      port: url.port,
      path: `${PATH}?watch=true&resourceVersion=${sim.resourceVersion}`,
      agent: watchAgent,
    });
    await new Promise<void>((resolve) => {
      watchReq.on('response', (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const event = JSON.parse(buffer.slice(0, nl));
            buffer = buffer.slice(nl + 1);
            if (pending && event.object.metadata.name === pending.name) {
              latencies.push(performance.now() - pending.at);
              pending.done();
            }
          }
        });
        resolve();
      });
      watchReq.end();
    });
    for (let i = 0; i < 500; i++) {
      const name = `w-${i}`;
      const seen = new Promise<void>((done) => (pending = { name, at: performance.now(), done }));
      await call('POST', PATH, { metadata: { name } });
      await seen;
    }
    watchReq.destroy();
    latencies.sort((a, b) => a - b);
    const result = {
      createsPerSecond: Math.round(createsPerSecond),
      getsPerSecond: Math.round(getsPerSecond),
      listMs: Math.round(listMs),
      watchLatencyMedianMs: Number(latencies[Math.floor(latencies.length / 2)].toFixed(2)),
    };
    for (const [key, value] of Object.entries(result)) console.log(`kube-sim ${key}: ${value}`);
    agent.destroy();
    watchAgent.destroy();
    return result;
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchKubeSim().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
