// Which applications a runtime sees (same tenant, a shared scenario), in id order. The Director pages
// through this list once per page; it is built once per runtime and reused until an application is
// written or the runtime's tenant or scenarios change, so a page costs O(page), not O(all apps).
import type { ApplicationRecord, Labels, RuntimeRecord } from './model.js';

export function scenariosOf(labels: Labels): string[] {
  const value = labels.scenarios;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function sharesScenario(a: Labels, b: Labels): boolean {
  const mine = scenariosOf(a);
  return mine.length > 0 && scenariosOf(b).some((scenario) => mine.includes(scenario));
}

/** What the index reads: the applications in id order and a number that changes with every write. */
export interface ApplicationSource {
  readonly applicationsRevision: number;
  applicationsById(): readonly ApplicationRecord[];
}

interface Entry {
  revision: number;
  tenant: string;
  scenarios: string;
  applications: readonly ApplicationRecord[];
}

export class RuntimeApplicationIndex {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly source: ApplicationSource) {}

  /** The applications `runtime` sees, in id order; do not modify the returned list. */
  visibleTo(runtime: RuntimeRecord): readonly ApplicationRecord[] {
    const scenarios = scenariosOf(runtime.labels);
    const key = JSON.stringify(scenarios);
    const revision = this.source.applicationsRevision;
    const cached = this.entries.get(runtime.id);
    if (cached && cached.revision === revision && cached.tenant === runtime.tenant && cached.scenarios === key) return cached.applications;
    const wanted = new Set(scenarios);
    const applications =
      wanted.size === 0
        ? []
        : this.source
            .applicationsById()
            .filter((app) => app.tenant === runtime.tenant && scenariosOf(app.labels).some((scenario) => wanted.has(scenario)));
    this.entries.set(runtime.id, { revision, tenant: runtime.tenant, scenarios: key, applications });
    return applications;
  }
}
