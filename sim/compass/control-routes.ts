// HTTP control API of the Compass simulator (loopback, plain HTTP, JSON in and out). Not part of
// Compass. Routes:
//   GET    /clock                          → {"now"}
//   POST   /clock/advance        {"ms"}    → {"now"}
//   POST   /tokens               {"runtimeId"?} → {"token","clientId","runtimeId","connectorURL","raw","rawEncoded","expiresAt"}
//   DELETE /tokens                         → {"wiped": n}            (a Connector restart)
//   GET    /certificates                   → [{"sha256","commonName","notBefore","notAfter","revoked"}]
//   POST   /revocations          {"sha256"} → {"revoked": sha256}
//   GET    /tenants | POST /tenants {"externalId"}
//   GET    /runtimes/:id | PUT /runtimes/:id {RuntimeInput} | DELETE /runtimes/:id
//   GET    /runtimes/:id/labels            → labels object
//   GET    /applications | PUT /applications/:id {ApplicationInput} | DELETE /applications/:id
//   PUT    /applications/:id/bundles/:bundleId {BundleInput} | DELETE /applications/:id/bundles/:bundleId
//   POST   /applications/generate {"count","seed"?,"scenarios"?} → {"generated": n, "ids": [...]}
//   GET    /faults | POST /faults {FaultSpec} | DELETE /faults
//   GET    /calls | DELETE /calls
// Errors: 400 {"error"} for bad input, 404 {"error"} for an unknown route or object.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompassControl } from './control.js';

class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new RouteError(400, `request body of ${req.method} ${req.url} must be a JSON object`);
  }
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new RouteError(404, `${what} does not exist`);
  return value;
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, control: CompassControl): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control.invalid');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  // Odd segments are ids, except the fixed words /clock/advance and /applications/generate.
  const fixed = (part: string, index: number) =>
    index === 1 && (parts[0] === 'clock' || (parts[0] === 'applications' && part === 'generate'));
  const route = `${method} /${parts.map((part, index) => (index % 2 === 1 && !fixed(part, index) ? ':' : part)).join('/')}`;
  let status = 200;
  let result: unknown;
  try {
    const body = method === 'POST' || method === 'PUT' ? await readJson(req) : {};
    switch (route) {
      case 'GET /clock':
        result = { now: control.now().toISOString() };
        break;
      case 'POST /clock/advance':
        if (typeof body.ms !== 'number') throw new RouteError(400, 'POST /clock/advance needs {"ms": <non-negative number>}');
        result = { now: control.advanceClock(body.ms).toISOString() };
        break;
      case 'POST /tokens':
        result = control.mintToken(typeof body.runtimeId === 'string' ? body.runtimeId : undefined);
        break;
      case 'DELETE /tokens':
        result = { wiped: control.wipeTokens() };
        break;
      case 'GET /certificates':
        result = control.issuedCertificates();
        break;
      case 'POST /revocations':
        if (typeof body.sha256 !== 'string') throw new RouteError(400, 'POST /revocations needs {"sha256": "<64 hex characters>"}');
        control.revokeCertificate(body.sha256);
        result = { revoked: body.sha256.toLowerCase() };
        break;
      case 'GET /tenants':
        result = control.tenants();
        break;
      case 'POST /tenants':
        result = control.addTenant(body.externalId as string);
        break;
      case 'GET /runtimes/:':
        result = found(control.runtime(parts[1]), `runtime ${parts[1]}`);
        break;
      case 'PUT /runtimes/:':
        result = control.upsertRuntime({ ...body, id: parts[1] });
        break;
      case 'DELETE /runtimes/:':
        result = { removed: control.removeRuntime(parts[1]) };
        break;
      case 'GET /runtimes/:/labels':
        result = found(control.runtimeLabels(parts[1]), `runtime ${parts[1]}`);
        break;
      case 'GET /applications':
        result = control.applications();
        break;
      case 'POST /applications/generate': {
        if (typeof body.count !== 'number') throw new RouteError(400, 'POST /applications/generate needs {"count": n, "seed"?: n}');
        const apps = control.generateApplications(
          body.count,
          typeof body.seed === 'number' ? body.seed : undefined,
          Array.isArray(body.scenarios) ? (body.scenarios as string[]) : undefined,
        );
        result = { generated: apps.length, ids: apps.map((app) => app.id) };
        break;
      }
      case 'PUT /applications/:':
        result = control.upsertApplication({ ...body, id: parts[1] });
        break;
      case 'DELETE /applications/:':
        result = { removed: control.removeApplication(parts[1]) };
        break;
      case 'PUT /applications/:/bundles/:':
        result = control.upsertBundle(parts[1], { ...body, id: parts[3] });
        break;
      case 'DELETE /applications/:/bundles/:':
        result = { removed: control.removeBundle(parts[1], parts[3]) };
        break;
      case 'GET /faults':
        result = control.faults();
        break;
      case 'POST /faults':
        result = control.armFault(body as never);
        status = 201;
        break;
      case 'DELETE /faults':
        control.clearFaults();
        result = { cleared: true };
        break;
      case 'GET /calls':
        result = control.callLog();
        break;
      case 'DELETE /calls':
        control.clearCallLog();
        result = { cleared: true };
        break;
      default:
        throw new RouteError(404, `no control route ${method} ${url.pathname}; see sim/compass/control-routes.ts for the list`);
    }
  } catch (error) {
    status = error instanceof RouteError ? error.status : 400;
    result = { error: (error as Error).message };
  }
  const text = JSON.stringify(result ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
