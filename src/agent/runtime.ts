// Runs the agent machine: provides the effects as named actors, turns source emissions and timer
// wake-ups into events, records every event in the event log and writes the projected
// CompassConnection after each settled snapshot (one write at a time, the latest projection wins).
import { BehaviorSubject, type Observable } from 'rxjs';
import { createActor, fromPromise, type InspectionEvent } from 'xstate';
import { boundText, redact, redactText } from '../../adapters/redaction.js';
import { silentLogger, type Logger } from '../../adapters/logger.js';
import type { Clock } from '../../adapters/clock/clock.js';
import { createWakeScheduler } from '../../adapters/clock/wake-scheduler.js';
import {
  agentMachine,
  ERROR_PREFIX,
  type AgentActorRef,
  type AgentContext,
  type AgentMachineInput,
  type AgentSnapshot,
  type SecretNames,
} from '../../machines/agent-machine.js';
import type { AgentEvent, EffectErrorKind, EffectFailure, ManagementInfo, SyncResult } from '../../machines/agent-events.js';
import type { AgentTimingConfig } from '../../machines/timing.js';
import { projectConnection, type ConnectionProjection } from '../status-projection.js';
import type { EventLog } from '../event-log.js';
import { INIT_EVENT_TYPE } from '../event-replay.js';
import { EffectError, type AgentEffects, type AgentSources, type ConnectionWriter } from './effects.js';

export type { AgentTimingConfig, SecretNames };

export interface AgentRuntimeConfig {
  timing: AgentTimingConfig;
  secretNames?: Partial<SecretNames>;
  /** Lab settings in effect that weaken the connection to Compass (shown in the CR's conditions). */
  insecureCompassSettings?: string[];
}

export interface AgentRuntimeOptions {
  effects: AgentEffects;
  sources: AgentSources;
  writer: ConnectionWriter;
  config: AgentRuntimeConfig;
  clock: Clock;
  logger?: Logger;
  eventLog?: EventLog;
  /** Source of jitter for wake-ups; tests pass a fixed one. */
  random?: () => number;
}

export interface AgentRuntime {
  start(): void;
  /** Stops the actor, the sources and the timer, then waits for a write in flight. */
  stop(): Promise<void>;
  readonly snapshot$: Observable<AgentSnapshot>;
  getSnapshot(): AgentSnapshot;
  readonly actor: AgentActorRef;
  /** Resolves once no CR write is in flight or pending. */
  settled(): Promise<void>;
}

const iso = (t: number) => new Date(t).toISOString();

/** Longest error text the machine (and so the CR status, the log and the event log) gets from an effect. */
export const MAX_ERROR_TEXT = 2000;

/** Effect errors become plain, redacted, bounded data stamped with the time they happened. */
export function effectFailure(error: unknown, at: string): EffectFailure {
  if (error instanceof EffectError) return { kind: error.kind, message: boundText(redactText(error.message), MAX_ERROR_TEXT), at };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message: boundText(redactText(`unexpected failure: ${message}`), MAX_ERROR_TEXT), at };
}

/** What an effect returns, as the machine and the event log see it: redacted, error texts bounded. */
function scrubOutput<O>(output: O): O {
  const scrubbed = redact(output);
  const error = (scrubbed as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? { ...scrubbed, error: boundText(error, MAX_ERROR_TEXT) } : scrubbed;
}

/** The log line for a connection error: says what failed, so that a Kubernetes outage is not blamed on Compass. */
export function connectionFailureMessage(kind: EffectErrorKind | undefined): string {
  switch (kind) {
    case 'kubernetes':
    case 'kubernetes-read':
      return 'a Kubernetes API request failed (not the connection to Compass)';
    case 'invalid-config':
      return 'the connection to Compass cannot be made with this configuration';
    case 'internal':
      return 'the agent failed internally while handling the connection';
    default:
      return 'connection to Compass failed';
  }
}

/** The log line for a synchronization error, by the step that failed. */
export function syncFailureMessage(result: SyncResult | null, error: string): string {
  if (result === 'ResourceApplicationFailed') return 'applying the Applications in the cluster failed';
  if (result === 'MetadataUpdateFailed') return 'setting the Runtime labels in Compass failed';
  if (error.startsWith(ERROR_PREFIX.runtimeConfig)) return 'reading the Runtime configuration Secret failed';
  return 'synchronization with Compass failed';
}

/** The time an event happened, for the log line. */
function eventTime(event: { type: string; at?: unknown; output?: { at?: unknown }; error?: { at?: unknown } }, fallback: string): string {
  for (const candidate of [event.at, event.output?.at, event.error?.at]) if (typeof candidate === 'string') return candidate;
  return fallback;
}

export function createAgentRuntime(options: AgentRuntimeOptions): AgentRuntime {
  const { effects, sources, writer, clock, eventLog } = options;
  const logger = options.logger ?? silentLogger;
  const scheduler = createWakeScheduler({ clock, random: options.random });
  const now = () => iso(clock.now());

  const wrap = <I, O>(call: (input: I, signal: AbortSignal) => Promise<O>) =>
    fromPromise<O, I>(async ({ input, signal }) => {
      let output: O;
      try {
        output = await call(input, signal);
      } catch (error) {
        throw effectFailure(error, now());
      }
      return scrubOutput(output);
    });

  const machine = agentMachine.provide({
    actors: {
      loadState: wrap((_: unknown, signal) => effects.loadState(signal)),
      establishConnection: wrap((_: unknown, signal) => effects.establishConnection(signal)),
      checkConnection: wrap((input: { managementInfo: ManagementInfo }, signal) => effects.checkConnection(input, signal)),
      renewCertificate: wrap((input: { managementInfo: ManagementInfo }, signal) => effects.renewCertificate(input, signal)),
      synchronize: wrap((input: { managementInfo: ManagementInfo; resync: boolean }, signal) => effects.synchronize(input, signal)),
    },
    actions: {
      requestWake: ({ context }) => {
        if (context.wake) scheduler.schedule(context.wake);
      },
    },
  });

  const input: AgentMachineInput = {
    timing: options.config.timing,
    secretNames: options.config.secretNames,
    ...(options.config.insecureCompassSettings?.length ? { insecureCompassSettings: options.config.insecureCompassSettings } : {}),
  };
  let root: AgentActorRef | undefined;
  const inspect = (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.snapshot' || !root || ev.actorRef !== root) return;
    const event = ev.event as { type: string };
    const at = event.type === INIT_EVENT_TYPE ? now() : eventTime(event, now());
    const recorded = event.type === INIT_EVENT_TYPE ? { type: INIT_EVENT_TYPE, input } : event;
    const snapshot = ev.snapshot as AgentSnapshot;
    eventLog?.append(at, recorded, snapshot.value, () => ({ value: snapshot.value, context: snapshot.context }));
  };
  const actor = createActor(machine, { input, inspect });
  root = actor;

  const snapshot$ = new BehaviorSubject<AgentSnapshot>(actor.getSnapshot());
  const subscriptions: Array<{ unsubscribe(): void }> = [];
  let lastState = '';
  // Errors the CR status shows are logged too, once per new text (the logger redacts).
  let lastConnectionError: string | undefined;
  let lastSyncError: string | undefined;
  let lastStartError: AgentContext['lastError'] = null;

  // Serialised CR writes: `pending` holds the newest projection not yet written.
  let pending: ConnectionProjection | null = null;
  let lastWritten: string | null = null;
  let writing: Promise<void> | null = null;
  const pump = async () => {
    while (pending) {
      const projection = pending;
      pending = null;
      const text = JSON.stringify(projection);
      if (text === lastWritten) continue;
      try {
        await writer.write(projection);
        lastWritten = text;
      } catch (error) {
        // Retried with the next snapshot (every WAKE brings one); never fatal.
        logger.warn({ err: error }, `writing the CompassConnection status failed; retrying on the next change`);
      }
    }
  };
  const offer = (snapshot: AgentSnapshot) => {
    // Nothing to report before the first attempt ends, and Connecting/Starting would only repeat the old state.
    if (snapshot.matches('Starting') || snapshot.matches('Connecting')) return;
    const projection = projectConnection(snapshot);
    if (!projection) return;
    if (JSON.stringify(projection) === lastWritten) return;
    pending = projection;
    writing ??= pump().finally(() => {
      writing = null;
    });
  };

  // The machine sees what the event log records: redacted.
  const send = (event: AgentEvent) => {
    if (actor.getSnapshot().status === 'active') actor.send(redact(event));
  };

  return {
    actor,
    snapshot$: snapshot$.asObservable(),
    getSnapshot: () => actor.getSnapshot(),
    start() {
      subscriptions.push(
        actor.subscribe({
          next: (snapshot) => {
            const state = JSON.stringify(snapshot.value);
            if (state !== lastState) {
              lastState = state;
              logger.info({ state: snapshot.value, connectionState: snapshot.context.connectionState }, 'agent state changed');
            }
            const { context } = snapshot;
            const connectionError = context.connection?.error;
            if (connectionError && connectionError !== lastConnectionError) {
              logger.warn({ connectionState: context.connectionState, error: connectionError }, connectionFailureMessage(context.lastError?.kind));
            }
            lastConnectionError = connectionError;
            const syncError = context.synchronization?.error;
            if (syncError && syncError !== lastSyncError) {
              logger.warn({ connectionState: context.connectionState, error: syncError }, syncFailureMessage(context.lastSyncResult, syncError));
            }
            lastSyncError = syncError;
            if (snapshot.matches('StartFailed') && context.lastError !== lastStartError) {
              lastStartError = context.lastError;
              logger.warn({ error: context.lastError?.message }, 'reading the cluster at start-up failed; retrying');
            }
            snapshot$.next(snapshot);
            offer(snapshot);
          },
          error: (err) => logger.error({ err }, 'the agent state machine failed; this is a bug'),
        }),
      );
      actor.start();
      subscriptions.push(
        scheduler.wake$.subscribe((event) => send(event)),
        sources.config$.subscribe({
          next: (config) => send({ type: 'CONFIG_OBSERVED', at: now(), config }),
          error: (err) => logger.error({ err }, 'the configuration Secret source failed'),
        }),
        sources.connectionCr$.subscribe({
          next: (cr) => send(cr ? { type: 'CONNECTION_CR_OBSERVED', at: now(), cr } : { type: 'CONNECTION_CR_DELETED', at: now() }),
          error: (err) => logger.error({ err }, 'the CompassConnection source failed'),
        }),
      );
      if (sources.credentials$) {
        subscriptions.push(
          sources.credentials$.subscribe({
            next: (secrets) => send({ type: 'CREDENTIALS_OBSERVED', at: now(), secrets }),
            error: (err) => logger.error({ err }, 'the credential Secrets source failed'),
          }),
        );
      }
    },
    async stop() {
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      scheduler.stop();
      actor.stop();
      snapshot$.complete();
      await writing;
    },
    async settled() {
      while (writing) await writing;
    },
  };
}
