// Fault injection: failures for the next N matching requests and added latency. Dropping watches,
// compacting history and stopping the listener act on the live server and are wired in index.ts.

export interface RequestMatch {
  /** get, list, watch, create, update, patch, delete, deletecollection; any when absent. */
  verb?: string;
  /** plural (`secrets`), `plural.group`, optionally with `/status`; any when absent. */
  resource?: string;
  namespace?: string;
  name?: string;
}

export interface FailureRule extends RequestMatch {
  /** HTTP status to answer with: 500, 429 (adds Retry-After), 409, 403, 401, 404, 503, 504... */
  status: number;
  /** How many matching requests fail; default 1. */
  times?: number;
  retryAfterSeconds?: number;
  message?: string;
}

export interface LatencyRule extends RequestMatch {
  ms: number;
  /**
   * Delay the answer instead, once the request was carried out: its watch events go out first, so a
   * client watching sees its own write before the answer to it (as with a busy API server).
   */
  afterHandling?: boolean;
}

export interface KubeFaults {
  /** Fail the next `times` requests matching the rule with `status` (a Kubernetes Status body). */
  failNext(rule: FailureRule): void;
  /** Delay every matching request by `ms` before it is handled, or its answer after (`afterHandling`), until clear(). */
  addLatency(rule: LatencyRule): void;
  /** End every open watch: 'clean' ends the chunked response, 'abrupt' resets the TCP connection. Returns how many. */
  dropWatches(mode?: 'clean' | 'abrupt'): number;
  /** Forget the watch history: watches and continue tokens from older resourceVersions get 410 Expired. Returns the new RV. */
  compactHistory(): string;
  /** Remove all failure and latency rules. */
  clear(): void;
  /** Failure rules that still have requests to fail. */
  readonly pendingFailures: ReadonlyArray<Readonly<FailureRule>>;
}

export interface RequestFacts {
  verb: string;
  resource?: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function matchesRequest(rule: RequestMatch, facts: RequestFacts): boolean {
  if (rule.verb && rule.verb !== facts.verb) return false;
  if (rule.namespace && rule.namespace !== facts.namespace) return false;
  if (rule.name && rule.name !== facts.name) return false;
  if (rule.resource) {
    const sub = facts.subresource ? `/${facts.subresource}` : '';
    const names = [`${facts.resource}${sub}`, `${facts.resource}.${facts.group}${sub}`];
    if (!facts.resource || !names.includes(rule.resource)) return false;
  }
  return true;
}

/** The rule state; pure, so the HTTP layer asks it per request. */
export class FaultPlan {
  private failures: (FailureRule & { remaining: number })[] = [];
  private latencies: LatencyRule[] = [];

  failNext(rule: FailureRule): void {
    if (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599) {
      throw new Error(`failNext needs an HTTP error status between 400 and 599, got ${rule.status}`);
    }
    this.failures.push({ ...rule, remaining: rule.times ?? 1 });
  }

  addLatency(rule: LatencyRule): void {
    if (!(rule.ms >= 0)) throw new Error(`addLatency needs ms >= 0, got ${rule.ms}`);
    this.latencies.push({ ...rule });
  }

  clear(): void {
    this.failures = [];
    this.latencies = [];
  }

  get pendingFailures(): FailureRule[] {
    return this.failures.map(({ remaining, ...rule }) => ({ ...rule, times: remaining }));
  }

  /** Consumes one matching failure, if any. */
  takeFailure(facts: RequestFacts): FailureRule | undefined {
    const rule = this.failures.find((r) => matchesRequest(r, facts));
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining <= 0) this.failures = this.failures.filter((r) => r !== rule);
    return rule;
  }

  /** The delay before a matching request is handled. */
  latencyFor(facts: RequestFacts): number {
    return this.sumOf(facts, false);
  }

  /** The delay of a matching request's answer, after it was handled. */
  answerLatencyFor(facts: RequestFacts): number {
    return this.sumOf(facts, true);
  }

  private sumOf(facts: RequestFacts, afterHandling: boolean): number {
    return this.latencies
      .filter((r) => (r.afterHandling ?? false) === afterHandling && matchesRequest(r, facts))
      .reduce((sum, r) => sum + r.ms, 0);
  }
}
