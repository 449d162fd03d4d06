// Runs the agent machine: provides the effects as named actors, turns source emissions and timer
// wake-ups into events, records every event in the event log (with the status it projected and the
// effects it requested) and writes the projected CompassConnection after each settled snapshot (one
// write at a time, the latest projection wins).
import { BehaviorSubject, type Observable } from 'rxjs';
import { createActor, fromPromise, type InspectionEvent } from 'xstate';
import { boundText, redact, redactText } from '../../adapters/redaction.js';
import { silentLogger, type Logger } from '../../adapters/logger.js';
import type { Clock } from '../../adapters/clock/clock.js';
import { createWakeScheduler } from '../../adapters/clock/wake-scheduler.js';
import { settleWithin } from '../../adapters/clock/settle-within.js';
import {
  agentMachine,
  type AgentActorRef,
  type AgentContext,
  type AgentMachineInput,
  type AgentSnapshot,
  type SecretNames,
} from '../../machines/agent-machine.js';
import type { AgentEvent, EffectErrorKind, EffectFailure, SyncResult } from '../../machines/agent-events.js';
import {
  effectActors,
  type EffectActor,
  type EffectId,
  type EffectImplementation,
  type EffectInput,
  type EffectOutput,
} from '../../machines/effect-boundary.js';
import type { AgentTimingConfig } from '../../machines/timing.js';
import {
  ERROR_PREFIX,
  StatusProjector,
  connectionErrorKind,
  renderConnectionError,
  renderSynchronizationError,
  type ConnectionProjection,
} from '../status-projection.js';
import { connectionEventsOf, type ConnectionEvent } from '../connection-events.js';
import type { EventLog } from '../event-log.js';
import { effectRequestOf, statusDigest, type EffectRequest } from '../event-record.js';
import { INIT_EVENT_TYPE } from '../event-replay.js';
import { EffectError, type AgentEffects, type AgentSources, type ConnectionWriter } from './effects.js';
import { isRecord } from '../../adapters/unknown-values.js';

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
  /** Where the Kubernetes Events each step tells go (connection-events.ts). */
  events?: { record(event: ConnectionEvent): void };
  /**
   * How long stop() waits for a certificate effect in flight (a certificate the Connector already
   * signed is stored, not lost) and for the last status write; default 2,000 ms each.
   */
  stopGraceMs?: number;
}

export interface AgentRuntime {
  start(): void;
  /**
   * Stops the sources and the timer and the actor (Compass calls in flight are aborted through their
   * signals), then waits, each within the stop grace, for a certificate effect in flight to store
   * what it got and for the status write in flight.
   */
  stop(): Promise<void>;
  readonly snapshot$: Observable<AgentSnapshot>;
  getSnapshot(): AgentSnapshot;
  readonly actor: AgentActorRef;
  /** Resolves once no CR write is in flight or pending. */
  settled(): Promise<void>;
}

const iso = (t: number) => new Date(t).toISOString();

/** A state value down to `depth` levels: {Certified: {Connected: 'Idle'}} → {Certified: 'Connected'}. */
export function stateOutline(value: unknown, depth = 2): unknown {
  if (!isRecord(value)) return value;
  const entries = Object.entries(value);
  if (depth <= 1) return entries.length === 1 ? entries[0][0] : Object.keys(value);
  return Object.fromEntries(entries.map(([key, child]) => [key, stateOutline(child, depth - 1)]));
}

/** Longest a status write waits for the end of the effect in flight (one write per cycle, not one per step). */
export const STATUS_WRITE_DELAY_MS = 1000;

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
  const error = isRecord(scrubbed) ? scrubbed.error : undefined;
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

/** The time an event happened, for its entry in the event log; the clock's when the event carries none (xstate.stop). */
function eventTime(event: { type: string; [key: string]: unknown }, fallback: string): string {
  const timeIn = (value: unknown) =>
    typeof value === 'object' && value !== null && 'at' in value && typeof value.at === 'string' ? value.at : undefined;
  return (typeof event.at === 'string' ? event.at : undefined) ?? timeIn(event.output) ?? timeIn(event.error) ?? fallback;
}

export function createAgentRuntime(options: AgentRuntimeOptions): AgentRuntime {
  const { effects, sources, writer, clock, eventLog } = options;
  const logger = options.logger ?? silentLogger;
  const scheduler = createWakeScheduler({ clock, random: options.random });
  const now = () => iso(clock.now());
  const graceMs = options.stopGraceMs ?? 2_000;
  // Effects that end with a certificate written to its Secrets: stop() lets them finish storing it.
  const certificateEffects = new Set<Promise<unknown>>();

  const wrap = <K extends EffectId>(id: K, call: EffectImplementation<K>): EffectActor<K> =>
    fromPromise<EffectOutput<K>, EffectInput<K>>(async ({ input, signal }) => {
      const storesCertificate = id === 'establishConnection' || id === 'renewCertificate';
      let output: EffectOutput<K>;
      let running: Promise<EffectOutput<K>>;
      try {
        running = call(input, signal);
      } catch (error) {
        throw effectFailure(error, now());
      }
      if (storesCertificate) {
        certificateEffects.add(running);
        void running.then(
          () => certificateEffects.delete(running),
          () => certificateEffects.delete(running),
        );
      }
      try {
        output = await running;
      } catch (error) {
        throw effectFailure(error, now());
      }
      return scrubOutput(output);
    });

  const machine = agentMachine.provide({
    actors: effectActors(<K extends EffectId>(id: K) => wrap(id, effects[id])),
    actions: {
      requestWake: (_, wake) => {
        if (wake) scheduler.schedule(wake);
      },
    },
  });

  const input: AgentMachineInput = {
    startedAt: now(),
    timing: options.config.timing,
    secretNames: options.config.secretNames,
    ...(options.config.insecureCompassSettings?.length ? { insecureCompassSettings: options.config.insecureCompassSettings } : {}),
  };
  // Set once createActor returns; `inspect` runs during createActor already and must see it unset, not in its TDZ.
  let root: AgentActorRef | undefined;
  let previousContext: AgentContext | undefined;
  // What the machine requested since its last snapshot (its actions run before the snapshot is reported).
  let requested: EffectRequest[] = [];
  const projector = new StatusProjector();
  /** The last projection's JSON text and its statusDigest. */
  let projected: { text: string | null; digest: string | null } = { text: null, digest: null };
  const step = (event: { type: string; [key: string]: unknown }, root: AgentActorRef) => {
    const snapshot = root.getSnapshot();
    const initial = event.type === INIT_EVENT_TYPE;
    const at = initial ? now() : eventTime(event, now());
    const projection = projector.project(snapshot);
    // Most events of a cycle leave the projection as it was: its digest is computed once per new text.
    const text = projection ? JSON.stringify(projection) : null;
    if (text !== projected.text) projected = { text, digest: statusDigest(projection) };
    const effectsRequested = requested;
    requested = [];
    eventLog?.append(at, initial ? { type: INIT_EVENT_TYPE, input } : event, snapshot.value, {
      status: projected.digest,
      effects: effectsRequested,
      checkpoint: () => ({ value: snapshot.value, context: snapshot.context, conditions: projector.lastConditions }),
    });
    if (options.events && !initial) {
      for (const told of connectionEventsOf(previousContext, event, snapshot.context)) options.events.record(told);
    }
    previousContext = snapshot.context;
    // A CR that is not there yet is created at once, whatever runs: the statuses after it report the
    // generation it comes back with (observedGeneration).
    const waitForEffect = Object.keys(snapshot.children).length > 0 && snapshot.context.cr !== null;
    if (snapshot.status === 'active' && projection && text) offer(projection, text, waitForEffect);
  };
  const inspect = (ev: InspectionEvent) => {
    if (!root || ev.actorRef !== root) return;
    try {
      if (ev.type === '@xstate.action') {
        const request = effectRequestOf(ev.action);
        if (request) requested.push(request);
      } else if (ev.type === '@xstate.snapshot') {
        step(ev.event, root);
      }
    } catch (err) {
      logger.error({ err }, 'recording a step of the agent state machine failed; this is a bug');
    }
  };
  const actor = createActor(machine, { input, inspect });
  root = actor;

  const snapshot$ = new BehaviorSubject<AgentSnapshot>(actor.getSnapshot());
  const subscriptions: Array<{ unsubscribe(): void }> = [];
  let lastState = '';
  let lastOutline = '';
  // Errors the CR status shows are logged too, once per new text (the logger redacts).
  let lastConnectionError: string | undefined;
  let lastSyncError: string | undefined;
  let lastStartError: AgentContext['lastError'] = null;

  // Serialised CR writes: `pending` holds the newest projection not yet written, with its JSON text.
  let pending: { projection: ConnectionProjection; text: string } | null = null;
  // While an effect runs (the check, the sync that follows it), its end brings the next status within
  // moments: a write waits for it, at most STATUS_WRITE_DELAY_MS, so that a cycle costs one write.
  let delayedWrite: unknown;
  let lastWritten: string | null = null;
  let writing: Promise<void> | null = null;
  const pump = async () => {
    while (pending) {
      const { projection, text } = pending;
      pending = null;
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
  // Nothing to report before the first attempt ends, and Connecting/Starting would only repeat the old state (StatusProjector).
  function offer(projection: ConnectionProjection, text: string, effectRunning: boolean) {
    if (text === lastWritten) return;
    pending = { projection, text };
    if (!effectRunning) startPump();
    else delayedWrite ??= clock.setTimeout(startPump, STATUS_WRITE_DELAY_MS);
  }
  function startPump() {
    if (delayedWrite !== undefined) clock.clearTimeout(delayedWrite);
    delayedWrite = undefined;
    writing ??= pump().finally(() => {
      writing = null;
      // Offered after the pump's last look but before it was done: write it now.
      if (pending) startPump();
    });
  }

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
              // The steps of every cycle (Idle, Maintaining, Synchronizing) at debug; a change of phase or of connectionState at info.
              const outline = `${JSON.stringify(stateOutline(snapshot.value))} ${snapshot.context.connectionState}`;
              const changed = outline !== lastOutline;
              lastOutline = outline;
              logger[changed ? 'info' : 'debug'](
                { state: snapshot.value, connectionState: snapshot.context.connectionState },
                'agent state changed',
              );
            }
            const { context } = snapshot;
            const connectionError = renderConnectionError(context.connectionError, context.secretNames);
            if (connectionError && connectionError !== lastConnectionError) {
              logger.warn(
                { connectionState: context.connectionState, error: connectionError },
                connectionFailureMessage(connectionErrorKind(context.connectionError)),
              );
            }
            lastConnectionError = connectionError;
            const syncError = renderSynchronizationError(context.synchronizationError);
            if (syncError && syncError !== lastSyncError) {
              logger.warn(
                { connectionState: context.connectionState, error: syncError },
                syncFailureMessage(context.lastSyncResult, syncError),
              );
            }
            lastSyncError = syncError;
            if (snapshot.matches('StartFailed') && context.lastError !== lastStartError) {
              lastStartError = context.lastError;
              logger.warn({ error: context.lastError?.message }, 'reading the cluster at start-up failed; retrying');
            }
            snapshot$.next(snapshot);
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
      // Aborts the signals of the effects in flight: Compass calls end at once.
      actor.stop();
      snapshot$.complete();
      // A certificate the Connector already signed is stored rather than lost (its Secret writes are short).
      await settleWithin(Promise.allSettled([...certificateEffects]), graceMs);
      if (pending) startPump();
      await settleWithin(writing, graceMs);
    },
    async settled() {
      if (pending && !writing) startPump();
      while (writing) await writing;
    },
  };
}
