// PodDisruptionBudgets (pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec, policy/v1).
import { fieldError, type FieldError } from '../field-errors.js';
import { goPointer, invalidGo } from '../go-values.js';
import type { KubeObject } from '../object-rules.js';
import { notMoreThan100PercentErrors, positiveIntOrPercentErrors } from './int-or-percent.js';
import { labelSelectorErrors } from './label-selector.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

export function pdbErrors(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) {
    const text =
      `policy.PodDisruptionBudgetSpec{MinAvailable:${goPointer('intstr.IntOrString', true)}, Selector:${goPointer('v1.LabelSelector', set(spec.selector))}, ` +
      `MaxUnavailable:${goPointer('intstr.IntOrString', true)}, UnhealthyPodEvictionPolicy:${goPointer('policy.UnhealthyPodEvictionPolicyType', set(spec.unhealthyPodEvictionPolicy))}}`;
    errs.push(invalidGo('spec', text, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const field of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[field])) continue;
    errs.push(...positiveIntOrPercentErrors(spec[field], `spec.${field}`), ...notMoreThan100PercentErrors(spec[field], `spec.${field}`));
  }
  errs.push(...labelSelectorErrors(spec.selector, 'spec.selector'));
  if (set(spec.unhealthyPodEvictionPolicy) && !EVICTION_POLICIES.includes(spec.unhealthyPodEvictionPolicy)) {
    errs.push(fieldError.notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  return errs;
}
