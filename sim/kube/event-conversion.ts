// One Event, two APIs: kube-apiserver keeps Events once (the internal core.Event) and serves them as
// core/v1 and as events.k8s.io/v1 (pkg/apis/events/v1/conversion.go). The store keeps the core/v1
// shape; these convert an events.k8s.io/v1 object to it and back, and map events.k8s.io's field
// selector labels onto core's. So an Event recorded through events.k8s.io/v1 is what
// `kubectl describe` reads through core/v1, with the same name, uid and resourceVersion.
import type { KubeObject } from './object-rules.js';
import type { ResourceType } from './resource-types.js';

type Fields = Record<string, any>;

const present = (value: unknown) => value !== undefined && value !== null;

/** core/v1 or events.k8s.io/v1 Events. */
export function isEventType(type: ResourceType): boolean {
  return !type.custom && type.plural === 'events' && (type.group === '' || type.group === 'events.k8s.io');
}

/** events.k8s.io/v1 → core/v1 (the stored shape). */
export function eventToCore(obj: KubeObject): KubeObject {
  const e = obj as Fields;
  const out: Fields = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: e.regarding ?? {},
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource ?? {},
    firstTimestamp: e.deprecatedFirstTimestamp ?? null,
    lastTimestamp: e.deprecatedLastTimestamp ?? null,
    count: e.deprecatedCount,
    type: e.type,
    eventTime: e.eventTime ?? null,
    series: e.series,
    action: e.action,
    related: e.related,
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
  return dropAbsent(out) as KubeObject;
}

/** core/v1 (the stored shape) → events.k8s.io/v1. */
export function eventFromCore(obj: KubeObject): KubeObject {
  const c = obj as Fields;
  const out: Fields = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: c.metadata,
    eventTime: c.eventTime ?? null,
    series: c.series,
    reportingController: c.reportingComponent,
    reportingInstance: c.reportingInstance,
    action: c.action,
    reason: c.reason,
    regarding: c.involvedObject ?? {},
    related: c.related,
    note: c.message,
    type: c.type,
    deprecatedSource: c.source ?? {},
    deprecatedFirstTimestamp: c.firstTimestamp ?? null,
    deprecatedLastTimestamp: c.lastTimestamp ?? null,
    deprecatedCount: c.count,
  };
  return dropAbsent(out) as KubeObject;
}

/** Keys with undefined values and empty optional strings are left out (Go's omitempty); nulls stay, as the API server writes them. */
function dropAbsent(obj: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    if (value === '' && !['reportingComponent', 'reportingInstance'].includes(key)) continue;
    out[key] = value;
  }
  return out;
}

/** Field selector labels of core/v1 Events (pkg/registry/core/event ToSelectableFields), as read from the stored shape. */
const CORE_EVENT_FIELDS: Record<string, (e: Fields) => unknown> = {
  'involvedObject.kind': (e) => e.involvedObject?.kind,
  'involvedObject.namespace': (e) => e.involvedObject?.namespace,
  'involvedObject.name': (e) => e.involvedObject?.name,
  'involvedObject.uid': (e) => e.involvedObject?.uid,
  'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion,
  'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion,
  'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath,
  reason: (e) => e.reason,
  reportingComponent: (e) => e.reportingComponent,
  source: (e) => e.source?.component,
  type: (e) => e.type,
};

/** events.k8s.io/v1's field labels and the core ones they stand for (AddFieldLabelConversionsForEvent). */
const EVENTS_GROUP_LABELS: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reason: 'reason',
  reportingController: 'reportingComponent',
  type: 'type',
};

/**
 * The stored-shape field a selector label of this kind reads, or undefined when the kind does not
 * support it. `group` is '' for core/v1 Events, 'events.k8s.io' for the other API.
 */
export function eventFieldLabel(group: string, label: string): string | undefined {
  if (group === 'events.k8s.io') return EVENTS_GROUP_LABELS[label];
  return label in CORE_EVENT_FIELDS ? label : undefined;
}

/** The value of a core field label on a stored Event ('' when absent). */
export function eventFieldValue(label: string, obj: KubeObject): string {
  const value = CORE_EVENT_FIELDS[label]?.(obj as Fields);
  return present(value) ? String(value) : '';
}
