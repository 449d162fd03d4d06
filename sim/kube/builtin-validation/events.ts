// Events, core/v1 and events.k8s.io/v1 (pkg/apis/core/validation/events.go): the legacy checks both
// get, and the strict ones a create through events.k8s.io/v1 gets. Field paths are the internal
// names (message, source, firstTimestamp), as the API server reports them for both versions.
import { fieldError, type FieldError } from '../field-errors.js';
import type { KubeObject } from '../object-rules.js';
import { isDNS1123Subdomain, isQualifiedName } from '../validation-strings.js';

const LIMIT = { reportingInstance: 128, action: 128, reason: 128, message: 1024 };

/** The internal core.Event fields the rules read, from either version. */
function internal(obj: KubeObject, eventsGroup: boolean) {
  const o = obj as Record<string, any>;
  return eventsGroup
    ? {
        eventTime: o.eventTime,
        involvedNamespace: o.regarding?.namespace ?? '',
        reportingController: o.reportingController ?? '',
        reportingInstance: o.reportingInstance ?? '',
        action: o.action ?? '',
        reason: o.reason ?? '',
        message: o.note ?? '',
        type: o.type ?? '',
        series: o.series,
        firstTimestamp: o.deprecatedFirstTimestamp,
        lastTimestamp: o.deprecatedLastTimestamp,
        count: o.deprecatedCount ?? 0,
        source: o.deprecatedSource,
      }
    : {
        eventTime: o.eventTime,
        involvedNamespace: o.involvedObject?.namespace ?? '',
        reportingController: o.reportingComponent ?? '',
        reportingInstance: o.reportingInstance ?? '',
        action: o.action ?? '',
        reason: o.reason ?? '',
        message: o.message ?? '',
        type: o.type ?? '',
        series: o.series,
        firstTimestamp: o.firstTimestamp,
        lastTimestamp: o.lastTimestamp,
        count: o.count ?? 0,
        source: o.source,
      };
}

export function eventErrors(obj: KubeObject, old: KubeObject | undefined, eventsGroup: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const e = internal(obj, eventsGroup);
  const namespace: string = obj.metadata.namespace ?? '';
  if (!e.eventTime) {
    if (e.involvedNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== e.involvedNamespace) {
      errs.push(fieldError.invalid('involvedObject.namespace', e.involvedNamespace, 'does not match event.namespace'));
    }
  } else {
    if (e.involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(fieldError.invalid('involvedObject.namespace', e.involvedNamespace, 'does not match event.namespace'));
    }
    if (e.reportingController === '') errs.push(fieldError.required('reportingController', ''));
    for (const msg of isQualifiedName(e.reportingController))
      errs.push(fieldError.invalid('reportingController', e.reportingController, msg));
    if (e.reportingInstance === '') errs.push(fieldError.required('reportingInstance', ''));
    if (e.reportingInstance.length > LIMIT.reportingInstance)
      errs.push(fieldError.invalid('reportingInstance', '', `can have at most ${LIMIT.reportingInstance} characters`));
    if (e.action === '') errs.push(fieldError.required('action', ''));
    if (e.action.length > LIMIT.action) errs.push(fieldError.invalid('action', '', `can have at most ${LIMIT.action} characters`));
    if (e.reason === '') errs.push(fieldError.required('reason', ''));
    if (e.reason.length > LIMIT.reason) errs.push(fieldError.invalid('reason', '', `can have at most ${LIMIT.reason} characters`));
    if (e.message.length > LIMIT.message) errs.push(fieldError.invalid('message', '', `can have at most ${LIMIT.message} characters`));
  }
  for (const msg of isDNS1123Subdomain(namespace)) errs.push(fieldError.invalid('namespace', namespace, msg));
  if (!eventsGroup || old) return errs;
  // Strict validation: creation through events.k8s.io/v1 (metadata is checked with the other metadata rules).
  if (e.series) {
    if (!(Number(e.series.count) >= 2)) errs.push(fieldError.invalid('series.count', '', 'should be at least 2'));
    if (!e.series.lastObservedTime) errs.push(fieldError.required('series.lastObservedTime', ''));
  }
  if (!e.eventTime) errs.push(fieldError.required('eventTime', ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fieldError.invalid('type', '', `has invalid value: ${e.type}`));
  if (e.firstTimestamp) errs.push(fieldError.invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(fieldError.invalid('lastTimestamp', '', 'needs to be unset'));
  if (e.count !== 0) errs.push(fieldError.invalid('count', '', 'needs to be unset'));
  if (e.source && (e.source.component || e.source.host)) errs.push(fieldError.invalid('source', '', 'needs to be unset'));
  return errs;
}
