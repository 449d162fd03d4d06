// Deployments (apps/v1 SetDefaults_Deployment; pkg/apis/apps/validation ValidateDeploymentSpec and
// the registry's selector immutability for apps/v1).
import { deepEqual, type KubeObject } from '../object-rules.js';
import { fieldError, type FieldError } from '../field-errors.js';
import { goLabelSelector, goPointer, goQuote, goStringMap, invalidGo, notSupportedGo } from '../go-values.js';
import { intOrPercentValue, notMoreThan100PercentErrors, positiveIntOrPercentErrors } from './int-or-percent.js';
import { labelSelectorErrors, selectorEmpty, selectorMatches, selectorUnparseable } from './label-selector.js';
import { defaultPodTemplate, podTemplateErrors } from './pod-template.js';

/** Defaults, on a copy of spec (the caller's object may share it with stored state). */
export function defaultDeployment(obj: KubeObject): void {
  if (typeof obj.spec !== 'object' || obj.spec === null) obj.spec = {};
  obj.spec = structuredClone(obj.spec);
  const spec = obj.spec;
  spec.replicas ??= 1;
  if (typeof spec.strategy !== 'object' || spec.strategy === null) spec.strategy = {};
  const strategy = spec.strategy;
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    if (typeof strategy.rollingUpdate !== 'object' || strategy.rollingUpdate === null) strategy.rollingUpdate = {};
    strategy.rollingUpdate.maxUnavailable ??= '25%';
    strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template);
}

function nonNegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldError.invalid(field, value, 'must be greater than or equal to 0')] : [];
}

function strategyErrors(strategy: any): FieldError[] {
  const errs: FieldError[] = [];
  switch (strategy?.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        errs.push(fieldError.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (ru === undefined || ru === null) {
        errs.push(fieldError.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      errs.push(...positiveIntOrPercentErrors(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
      errs.push(...positiveIntOrPercentErrors(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(
          invalidGo('spec.strategy.rollingUpdate.maxUnavailable', goIntOrStringOf(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'),
        );
      }
      errs.push(...notMoreThan100PercentErrors(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
      break;
    }
    default: {
      const text = `apps.DeploymentStrategy{Type:${goQuote(String(strategy?.type ?? ''))}, RollingUpdate:${goPointer('apps.RollingUpdateDeployment', strategy?.rollingUpdate !== undefined && strategy?.rollingUpdate !== null)}}`;
      errs.push(notSupportedGo('spec.strategy', text, ['Recreate', 'RollingUpdate']));
    }
  }
  return errs;
}

function goIntOrStringOf(value: unknown): string {
  return typeof value === 'string'
    ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(value)}}`
    : `intstr.IntOrString{Type:0, IntVal:${Number(value ?? 0) | 0}, StrVal:""}`;
}

/** apiequality.Semantic treats empty and absent maps and slices alike. */
function semanticSelector(selector: any): unknown {
  if (selector === undefined || selector === null) return null;
  const out: Record<string, unknown> = {};
  if (selector.matchLabels && Object.keys(selector.matchLabels).length > 0) out.matchLabels = selector.matchLabels;
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) out.matchExpressions = selector.matchExpressions;
  return out;
}

/** ValidateDeploymentSpec, then (update) the apps/v1 selector immutability. */
export function deploymentErrors(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  const selector = spec.selector;
  const hasSelector = selector !== undefined && selector !== null;
  if (!hasSelector) {
    errs.push(fieldError.required('spec.selector', ''));
  } else {
    errs.push(...labelSelectorErrors(selector, 'spec.selector'));
    if (selectorEmpty(selector))
      errs.push(invalidGo('spec.selector', goLabelSelector(selector), 'empty selector is invalid for deployment'));
  }
  const template = spec.template ?? {};
  if (hasSelector && selectorUnparseable(selector)) {
    errs.push(invalidGo('spec.selector', goLabelSelector(selector), 'invalid label selector'));
  } else {
    // A missing selector selects nothing, so the template never matches it; an empty one is not checked.
    const labels = template.metadata?.labels;
    if (!selectorEmpty(selector) && !selectorMatches(selector, labels)) {
      errs.push(invalidGo('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
    }
    errs.push(...podTemplateErrors(template, 'spec.template'));
    const restartPolicy = template.spec?.restartPolicy;
    if (restartPolicy !== 'Always') errs.push(fieldError.notSupported('spec.template.spec.restartPolicy', restartPolicy ?? '', ['Always']));
    if (template.spec?.activeDeadlineSeconds !== undefined && template.spec?.activeDeadlineSeconds !== null) {
      errs.push(fieldError.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
    }
  }
  errs.push(...strategyErrors(spec.strategy));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(fieldError.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  if (old && !deepEqual(semanticSelector(selector), semanticSelector(old.spec?.selector))) {
    errs.push(invalidGo('spec.selector', hasSelector ? goLabelSelector(selector) : 'null', 'field is immutable'));
  }
  return errs;
}
