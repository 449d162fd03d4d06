// Effect implementations that follow a script: each call takes the next step of its queue. This
// drives the real runtime and machine through a lifecycle without Compass or Kubernetes; the
// adapters are tested against the simulators elsewhere. Steps and calls are typed from the effect
// map (machines/effect-boundary.ts): a step can only return its effect's output.
import { Subject } from 'rxjs';
import type { ManualClock } from '../../adapters/clock/clock.js';
import type {
  AgentSources,
  ConnectionProjection,
  ConnectionWriter,
  EffectId,
  EffectInput,
  EffectOutput,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
} from '../../src/agent/effects.js';
import type { EffectImplementations } from '../../machines/effect-boundary.js';

/** One scripted answer of effect K: its output (or a throw) for the input it got, at the clock's time. */
export type Step<K extends EffectId> = (input: EffectInput<K>, at: string) => EffectOutput<K> | Promise<EffectOutput<K>>;

type Queues = { [K in EffectId]: Array<Step<K>> };

export class ScriptedEffects implements EffectImplementations {
  readonly queues: Queues = { loadState: [], establishConnection: [], checkConnection: [], renewCertificate: [], synchronize: [] };
  readonly calls: EffectId[] = [];
  /** Every call's input, in order. */
  readonly inputs: Array<{ [K in EffectId]: { effect: K; input: EffectInput<K> } }[EffectId]> = [];

  constructor(private readonly clock: ManualClock) {}

  private at(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async next<K extends EffectId>(name: K, input: EffectInput<K>): Promise<EffectOutput<K>> {
    this.calls.push(name);
    const queue: Array<Step<K>> = this.queues[name];
    const step = queue.shift();
    if (!step) throw new Error(`script has no step left for ${name}`);
    return step(input, this.at());
  }

  on<K extends EffectId>(name: K, ...steps: Array<Step<K>>): this {
    const queue: Array<Step<K>> = this.queues[name];
    queue.push(...steps);
    return this;
  }

  loadState = (input: EffectInput<'loadState'>) => this.record({ effect: 'loadState', input }).next('loadState', input);
  establishConnection = (input: EffectInput<'establishConnection'>) =>
    this.record({ effect: 'establishConnection', input }).next('establishConnection', input);
  checkConnection = (input: EffectInput<'checkConnection'>) =>
    this.record({ effect: 'checkConnection', input }).next('checkConnection', input);
  renewCertificate = (input: EffectInput<'renewCertificate'>) =>
    this.record({ effect: 'renewCertificate', input }).next('renewCertificate', input);
  synchronize = (input: EffectInput<'synchronize'>) => this.record({ effect: 'synchronize', input }).next('synchronize', input);

  private record(call: ScriptedEffects['inputs'][number]): this {
    this.inputs.push(call);
    return this;
  }
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
