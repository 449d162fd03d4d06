// Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: Name, the type's printer columns, Age.
import type { PrinterColumn, ResourceType } from './resource-types.js';
import type { KubeObject } from './object-rules.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Name comes first; then the type's columns (built-ins list Age themselves; a CRD without columns gets Age). */
function columnsOf(type: ResourceType): PrinterColumn[] {
  return type.printerColumns;
}

export function tableColumns(type: ResourceType): TableColumnDefinition[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    ...columnsOf(type).map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
}

export function tableRow(type: ResourceType, obj: KubeObject, includeObject: string, now = Date.now()): Record<string, unknown> {
  const cells: unknown[] = [obj.metadata.name];
  for (const column of columnsOf(type)) cells.push(cell(column, evaluateJsonPath(obj, column.jsonPath), now));
  const row: Record<string, unknown> = { cells };
  if (includeObject === 'Object') row.object = obj;
  else if (includeObject !== 'None') {
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
  return row;
}

export function table(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: string,
  continueToken?: string,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion };
  if (continueToken) metadata.continue = continueToken;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: tableColumns(type),
    rows: objects.map((obj) => tableRow(type, obj, includeObject)),
  };
}

function cell(column: PrinterColumn, values: unknown[], now: number): unknown {
  const value = values[0];
  if (column.format === 'count') return value && typeof value === 'object' ? Object.keys(value).length : 0;
  if (values.length === 0) return column.type === 'date' ? '<unknown>' : null;
  if (column.type === 'date') {
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    return Number.isNaN(at) ? '<invalid>' : humanDuration(now - at);
  }
  if (column.type === 'integer' || column.type === 'number' || column.type === 'boolean') return value;
  return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
}

/** The apiserver's duration.HumanDuration, which kubectl shows in AGE columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/**
 * The JSONPath subset printer columns use: `.a.b`, `['a.b']`, `[n]`, `[*]` and `[?(@.k=="v")]`.
 * Returns every match (empty when the path does not resolve).
 */
export function evaluateJsonPath(root: unknown, path: string): unknown[] {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
  if (text.startsWith('$')) text = text.slice(1);
  let current: unknown[] = [root];
  const step = /^(?:\.([A-Za-z0-9_\-/]+)|\[['"]([^'"]+)['"]\]|\[(\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*['"]([^'"]*)['"]\)\])/;
  while (text.length > 0) {
    const m = text.match(step);
    if (!m) return [];
    text = text.slice(m[0].length);
    const next: unknown[] = [];
    for (const value of current) {
      if (m[1] !== undefined || m[2] !== undefined) {
        const field = m[1] ?? m[2];
        if (value && typeof value === 'object' && !Array.isArray(value) && field in value)
          next.push((value as Record<string, unknown>)[field]);
      } else if (m[3] !== undefined) {
        if (m[3] === '*') {
          if (Array.isArray(value)) next.push(...value);
          else if (value && typeof value === 'object') next.push(...Object.values(value));
        } else if (Array.isArray(value) && Number(m[3]) < value.length) {
          next.push(value[Number(m[3])]);
        }
      } else if (Array.isArray(value)) {
        for (const item of value) {
          const found = evaluateJsonPath(item, `.${m[4]}`);
          if (found.length > 0 && String(found[0]) === m[5]) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
