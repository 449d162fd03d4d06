// Effect implementations that follow a script: each call takes the next step of its queue. This
// drives the real runtime and machine through a lifecycle without Compass or Kubernetes; the
// adapters are tested against the simulators elsewhere.
import { Subject } from 'rxjs';
import type { ManualClock } from '../../adapters/clock/clock.js';
import type {
  AgentEffects,
  AgentSources,
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  ConnectionProjection,
  ConnectionWriter,
  LoadedState,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
  SyncOutcome,
} from '../../src/agent/effects.js';

type Step<I, O> = (input: I, at: string) => O | Promise<O>;

interface Queues {
  loadState: Step<void, LoadedState>[];
  establishConnection: Step<void, ConnectionEstablished>[];
  checkConnection: Step<unknown, ConnectionChecked>[];
  renewCertificate: Step<unknown, CertificateRenewed>[];
  synchronize: Step<{ resync: boolean }, SyncOutcome>[];
}

export class ScriptedEffects implements AgentEffects {
  readonly queues: Queues = { loadState: [], establishConnection: [], checkConnection: [], renewCertificate: [], synchronize: [] };
  readonly calls: string[] = [];
  readonly syncInputs: Array<{ resync: boolean }> = [];

  constructor(private readonly clock: ManualClock) {}

  private at(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async next<K extends keyof Queues>(name: K, input: unknown): Promise<Awaited<ReturnType<Queues[K][number]>>> {
    this.calls.push(name);
    const step = this.queues[name].shift() as Step<unknown, unknown> | undefined;
    if (!step) throw new Error(`script has no step left for ${name}`);
    return (await step(input, this.at())) as Awaited<ReturnType<Queues[K][number]>>;
  }

  on<K extends keyof Queues>(name: K, ...steps: Queues[K]): this {
    (this.queues[name] as unknown[]).push(...steps);
    return this;
  }

  loadState = () => this.next('loadState', undefined);
  establishConnection = () => this.next('establishConnection', undefined);
  checkConnection = (input: unknown) => this.next('checkConnection', input);
  renewCertificate = (input: unknown) => this.next('renewCertificate', input);
  synchronize = (input: { resync: boolean }) => {
    this.syncInputs.push({ resync: input.resync });
    return this.next('synchronize', input);
  };
}

export function scriptedSources() {
  const config$ = new Subject<ObservedConfig>();
  const connectionCr$ = new Subject<ObservedConnectionCr | null>();
  const credentials$ = new Subject<ObservedCredentials>();
  const sources: AgentSources = { config$, connectionCr$, credentials$ };
  return { sources, config$, connectionCr$, credentials$ };
}

export class RecordingWriter implements ConnectionWriter {
  readonly written: ConnectionProjection[] = [];
  failNext = 0;
  async write(projection: ConnectionProjection): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('simulated conflict writing compass-connection');
    }
    this.written.push(structuredClone(projection));
  }
  get last(): ConnectionProjection | undefined {
    return this.written.at(-1);
  }
}

export const MANAGEMENT = { directorUrl: 'https://director.test/graphql', connectorUrl: 'https://connector-mtls.test/graphql' };

export function validity(fromMs: number, days: number) {
  return { notBefore: new Date(fromMs).toISOString(), notAfter: new Date(fromMs + days * 86_400_000).toISOString() };
}

/** Lets promise callbacks and RxJS emissions run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
