// The effects the machine invokes, declared once: each effect's id, what it takes and what it gives
// back. The machine's actors (agent-machine.ts), the runtime's implementations (src/agent/effects.ts,
// src/agent/runtime.ts) and the scripted test effects are all typed from AgentEffectMap, so an effect
// cannot be wired to the wrong input or its output read as something else.
//
// State the effect implementations keep between calls is a cache, never a decision: whatever it
// changes reaches the machine inside a recorded effect result, so replay (which runs no effect)
// cannot diverge because of it. Two such caches exist:
// - the client identity (key and certificate) the Compass effects present: loaded from the
//   client-certificate Secret by loadState and replaced by the certificate establishConnection or
//   renewCertificate stored; its validity is in those results, and checkConnection reports a Secret
//   that no longer holds it as `credentialsExist: false`, which the machine answers with a renewal;
// - the Application Secret re-check (src/applications/secret-recheck.ts): it only decides which
//   recorded Secrets a synchronization reads again; what that changed is in the SyncOutcome.
import { fromPromise, type PromiseActorLogic } from 'xstate';
import type {
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  EffectErrorKind,
  EffectFailure,
  LoadedState,
  ManagementInfo,
  SyncOutcome,
} from './agent-events.js';

export interface AgentEffectMap {
  /** Start-up: what the cluster already holds (the CR, the credential Secrets, the stored URLs). */
  loadState: { input: undefined; output: LoadedState };
  /** token → configuration → CSR → certificate → Secrets, with the token now in the configuration Secret. */
  establishConnection: { input: undefined; output: ConnectionEstablished };
  /** Certificate-secured `configuration` query and the "do the credential Secrets still hold it" probe. */
  checkConnection: { input: { managementInfo: ManagementInfo | null }; output: ConnectionChecked };
  /** CSR over the certificate-secured Connector, new Secrets. */
  renewCertificate: { input: { managementInfo: ManagementInfo | null }; output: CertificateRenewed };
  /** Director fetch → apply Applications → Runtime labels; the outcome is data, not an exception. */
  synchronize: { input: { managementInfo: ManagementInfo | null; resync: boolean }; output: SyncOutcome };
}
// `managementInfo` is null only if the machine holds no URLs it trusts, which its states rule out
// (Certified is entered with them); an effect given none fails with `invalid-config`.

export type EffectId = keyof AgentEffectMap;
export type EffectInput<K extends EffectId> = AgentEffectMap[K]['input'];
export type EffectOutput<K extends EffectId> = AgentEffectMap[K]['output'];

/** Ids of the invoked effects; recorded `xstate.done.actor.<id>` events depend on them: never rename. */
export const EFFECT_IDS = {
  loadState: 'loadState',
  establishConnection: 'establishConnection',
  checkConnection: 'checkConnection',
  renewCertificate: 'renewCertificate',
  synchronize: 'synchronize',
} as const satisfies { [K in EffectId]: K };

/** The actor logic of one effect, as the machine declares and the runtime provides it. */
export type EffectActor<K extends EffectId> = PromiseActorLogic<EffectOutput<K>, EffectInput<K>>;
export type EffectActors = { [K in EffectId]: EffectActor<K> };

/**
 * An implementation of every effect. It resolves with the effect's output and rejects with what
 * failed; the runtime turns a rejection into an EffectFailure (redacted, stamped with its clock).
 */
export type EffectImplementation<K extends EffectId> = (input: EffectInput<K>, signal: AbortSignal) => Promise<EffectOutput<K>>;
export type EffectImplementations = { [K in EffectId]: EffectImplementation<K> };

/** The actor logic of every effect, each made by `make` (the one place that lists the ids). */
export function effectActors(make: <K extends EffectId>(id: K) => EffectActor<K>): EffectActors {
  return {
    loadState: make('loadState'),
    establishConnection: make('establishConnection'),
    checkConnection: make('checkConnection'),
    renewCertificate: make('renewCertificate'),
    synchronize: make('synchronize'),
  };
}

/** An implementation of every effect, each made by `make`. */
export function effectImplementations(make: <K extends EffectId>(id: K) => EffectImplementation<K>): EffectImplementations {
  return {
    loadState: make('loadState'),
    establishConnection: make('establishConnection'),
    checkConnection: make('checkConnection'),
    renewCertificate: make('renewCertificate'),
    synchronize: make('synchronize'),
  };
}

/** The machine's own actors: they only say that the runtime forgot to provide the effect. */
export function effectNotProvided<K extends EffectId>(id: K): EffectActor<K> {
  return fromPromise<EffectOutput<K>, EffectInput<K>>(async () => {
    throw new Error(`effect ${id} was not provided to the machine (machine.provide({ actors }))`);
  });
}

const EFFECT_ERROR_KINDS: ReadonlySet<string> = new Set<EffectErrorKind>([
  'unreachable',
  'rejected',
  'invalid-response',
  'invalid-config',
  'kubernetes',
  'kubernetes-read',
  'internal',
]);

function isEffectErrorKind(kind: string): kind is EffectErrorKind {
  return EFFECT_ERROR_KINDS.has(kind);
}

/**
 * What an `xstate.error.actor.<id>` event carries, as the machine reads it. The runtime rejects every
 * effect with an EffectFailure; anything else (an effect that was not provided, a value from a test)
 * is an internal failure, stamped with the time of the latest event the machine knows (`now`).
 */
export function failureOf(error: unknown, now: string): EffectFailure {
  if (typeof error === 'object' && error !== null && 'kind' in error && 'message' in error) {
    const { kind, message } = error;
    if (typeof kind === 'string' && isEffectErrorKind(kind) && typeof message === 'string') {
      const at = 'at' in error && typeof error.at === 'string' ? error.at : now;
      return { kind, message, at };
    }
  }
  const message =
    error instanceof Error
      ? error.message
      : typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
  return { kind: 'internal', message, at: now };
}
