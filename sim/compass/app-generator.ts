// Deterministic generation of realistic applications from a seed: the same (count, seed) always
// gives the same ids, names, bundles, definitions and credentials, so tests and demos can rely on it.
import type { ApplicationRecord, AuthRecord, BundleRecord } from './model.js';

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ['8', '9', 'a', 'b'][Math.floor(random() * 4)]!;
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const systems = ['commerce', 'marketing', 'billing', 'inventory', 'crm', 'hr', 'logistics', 'payments', 'catalog', 'support'];
const providers = ['SAP', 'Acme Corp', 'Globex', 'Initech', 'Umbrella'];
const apiNames = ['orders', 'customers', 'products', 'invoices', 'shipments', 'stock', 'prices', 'users'];
const eventNames = ['order.created', 'order.shipped', 'customer.updated', 'invoice.paid', 'stock.low'];

export interface GenerateOptions {
  tenant: string;
  scenarios?: string[];
  /** Timestamp stamped on the generated status. */
  timestamp: string;
}

export function generateApplications(count: number, seed: number, options: GenerateOptions): ApplicationRecord[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const apps: ApplicationRecord[] = [];
  for (let index = 0; index < count; index++) {
    const system = pick(systems);
    const name = `${system}-${seed}-${index}`;
    const bundles: BundleRecord[] = [];
    const bundleCount = 1 + Math.floor(random() * 3);
    for (let b = 0; b < bundleCount; b++) {
      const apiCount = Math.floor(random() * 4);
      const eventCount = Math.floor(random() * 3);
      bundles.push({
        id: uuidFrom(random),
        name: `${system} bundle ${b}`,
        description: random() < 0.8 ? `APIs and events of ${name}, bundle ${b}` : null,
        instanceAuthRequestInputSchema:
          random() < 0.3 ? JSON.stringify({ type: 'object', properties: { scope: { type: 'string' } } }) : null,
        defaultInstanceAuth: generateAuth(random, name, b),
        apiDefinitions: Array.from({ length: apiCount }, (_, a) => ({
          id: uuidFrom(random),
          name: `${pick(apiNames)}-api-${a}`,
          description: `The ${system} API number ${a}`,
          targetURL: `https://${name}.example.com/api/v${1 + a}`,
          group: random() < 0.5 ? `${system}-group` : null,
          version: random() < 0.6 ? { value: `v${1 + a}`, deprecated: false, deprecatedSince: null, forRemoval: false } : null,
          spec: { type: 'OPEN_API' as const, format: 'JSON' as const, data: '{"openapi":"3.0.0"}' },
        })),
        eventDefinitions: Array.from({ length: eventCount }, (_, e) => ({
          id: uuidFrom(random),
          name: `${pick(eventNames)}-${e}`,
          description: `Events of ${name}`,
          group: null,
          version: { value: 'v1', deprecated: false, deprecatedSince: null, forRemoval: false },
          spec: { type: 'ASYNC_API' as const, format: 'YAML' as const, data: 'asyncapi: 2.0.0' },
        })),
      });
    }
    apps.push({
      id: uuidFrom(random),
      tenant: options.tenant,
      name,
      providerName: pick(providers),
      description: `Generated application ${index} of seed ${seed}`,
      integrationSystemID: null,
      healthCheckURL: null,
      labels: { scenarios: options.scenarios ?? ['DEFAULT'], name },
      status: { condition: 'INITIAL', timestamp: options.timestamp },
      auths: [{ id: uuidFrom(random) }],
      bundles,
    });
  }
  return apps;
}

// Credentials are visibly fake: generated, never real secrets, but still never logged.
function generateAuth(random: () => number, name: string, bundle: number): AuthRecord | null {
  const variant = Math.floor(random() * 5);
  const headers = random() < 0.5 ? { 'X-Tenant': [name], 'X-Trace': ['a', 'b'] } : null;
  const params = random() < 0.5 ? { client: [name] } : null;
  switch (variant) {
    case 0:
      return null;
    case 1:
      return {
        credential: { __typename: 'BasicCredentialData', username: `${name}-user`, password: `pw-${bundle}-${Math.floor(random() * 1e9)}` },
        additionalHeaders: headers,
        additionalQueryParams: params,
        requestAuth: null,
      };
    case 2:
      return {
        credential: {
          __typename: 'OAuthCredentialData',
          clientId: `${name}-client`,
          clientSecret: `secret-${Math.floor(random() * 1e9)}`,
          url: `https://${name}.example.com/oauth/token`,
        },
        additionalHeaders: headers,
        additionalQueryParams: params,
        requestAuth: null,
      };
    case 3:
      return {
        credential: { __typename: 'BasicCredentialData', username: `${name}-csrf`, password: `pw-${Math.floor(random() * 1e9)}` },
        additionalHeaders: headers,
        additionalQueryParams: params,
        requestAuth: {
          csrf: {
            tokenEndpointURL: `https://${name}.example.com/csrf`,
            credential: null,
            additionalHeaders: null,
            additionalQueryParams: null,
          },
        },
      };
    default:
      return {
        credential: null,
        additionalHeaders: headers ?? { 'X-Api-Key-Name': ['generated'] },
        additionalQueryParams: params,
        requestAuth: null,
      };
  }
}
