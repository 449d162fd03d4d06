// Runs the agent machine: provides the effects as named actors, turns source emissions and timer
// wake-ups into events, records every event in the event log and writes the projected
// CompassConnection after each settled snapshot (one write at a time, the latest projection wins).
import { BehaviorSubject, type Observable } from 'rxjs';
import { createActor, fromPromise, type InspectionEvent } from 'xstate';
import { redactText } from '../../adapters/redaction.js';
import { silentLogger, type Logger } from '../../adapters/logger.js';
import type { Clock } from '../../adapters/clock/clock.js';
import { createWakeScheduler } from '../../adapters/clock/wake-scheduler.js';
import {
  agentMachine,
  type AgentActorRef,
  type AgentMachineInput,
  type AgentSnapshot,
  type SecretNames,
} from '../../machines/agent-machine.js';
import type { AgentEvent, EffectFailure, ManagementInfo } from '../../machines/agent-events.js';
import type { AgentTimingConfig } from '../../machines/timing.js';
import { projectConnection, type ConnectionProjection } from '../status-projection.js';
import type { EventLog } from '../event-log.js';
import { INIT_EVENT_TYPE } from '../event-replay.js';
import { EffectError, type AgentEffects, type AgentSources, type ConnectionWriter } from './effects.js';

export type { AgentTimingConfig, SecretNames };

export interface AgentRuntimeConfig {
  timing: AgentTimingConfig;
  secretNames?: Partial<SecretNames>;
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

/** Effect errors become plain, redacted data stamped with the time they happened. */
export function effectFailure(error: unknown, at: string): EffectFailure {
  if (error instanceof EffectError) return { kind: error.kind, message: redactText(error.message), at };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message: redactText(`unexpected failure: ${message}`), at };
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
      try {
        return await call(input, signal);
      } catch (error) {
        throw effectFailure(error, now());
      }
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

  const input: AgentMachineInput = { timing: options.config.timing, secretNames: options.config.secretNames };
  let root: AgentActorRef | undefined;
  const inspect = (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.snapshot' || !root || ev.actorRef !== root) return;
    const event = ev.event as { type: string };
    const at = event.type === INIT_EVENT_TYPE ? now() : eventTime(event, now());
    const recorded = event.type === INIT_EVENT_TYPE ? { type: INIT_EVENT_TYPE, input } : event;
    const state = (ev.snapshot as AgentSnapshot).value;
    eventLog?.append(at, recorded, state);
  };
  const actor = createActor(machine, { input, inspect });
  root = actor;

  const snapshot$ = new BehaviorSubject<AgentSnapshot>(actor.getSnapshot());
  const subscriptions: Array<{ unsubscribe(): void }> = [];
  let lastState = '';
  // Errors the CR status shows are logged too, once per new text (the logger redacts).
  let lastConnectionError: string | undefined;
  let lastSyncError: string | undefined;

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

  const send = (event: AgentEvent) => {
    if (actor.getSnapshot().status === 'active') actor.send(event);
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
            const connectionError = snapshot.context.connection?.error;
            if (connectionError && connectionError !== lastConnectionError) {
              logger.warn({ connectionState: snapshot.context.connectionState, error: connectionError }, 'connection to Compass failed');
            }
            lastConnectionError = connectionError;
            const syncError = snapshot.context.synchronization?.error;
            if (syncError && syncError !== lastSyncError) {
              logger.warn({ connectionState: snapshot.context.connectionState, error: syncError }, 'synchronization with Compass failed');
            }
            lastSyncError = syncError;
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
