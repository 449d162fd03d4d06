// metav1.LabelSelector as the API server validates and evaluates it (pkg/apis/meta/v1/validation
// ValidateLabelSelector, LabelSelectorAsSelector).
import { fieldError, type FieldError } from '../field-errors.js';
import { labelErrors } from '../metadata-validation.js';
import { isQualifiedName, isValidLabelValue } from '../validation-strings.js';

const SET_OPERATORS = new Set(['In', 'NotIn']);
const EXISTS_OPERATORS = new Set(['Exists', 'DoesNotExist']);

export function labelSelectorErrors(selector: any, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (selector === undefined || selector === null || typeof selector !== 'object') return errs;
  errs.push(...labelErrors(selector.matchLabels, `${field}.matchLabels`));
  const expressions: unknown = selector.matchExpressions;
  if (!Array.isArray(expressions)) return errs;
  expressions.forEach((raw, i) => {
    const expr = (raw ?? {}) as Record<string, any>;
    const path = `${field}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(expr.values) ? expr.values : [];
    const operator = String(expr.operator ?? '');
    if (SET_OPERATORS.has(operator)) {
      if (values.length === 0) errs.push(fieldError.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (EXISTS_OPERATORS.has(operator)) {
      if (values.length > 0)
        errs.push(fieldError.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(fieldError.invalid(`${path}.operator`, operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(String(expr.key ?? ''))) errs.push(fieldError.invalid(`${path}.key`, String(expr.key ?? ''), msg));
    values.forEach((value, j) => {
      for (const msg of isValidLabelValue(String(value))) errs.push(fieldError.invalid(`${path}.values[${j}]`, String(value), msg));
    });
  });
  return errs;
}

/** Whether LabelSelectorAsSelector fails: the same rules as the validation (strict label values). */
export function selectorUnparseable(selector: any): boolean {
  return selector !== undefined && selector !== null && labelSelectorErrors(selector, '').length > 0;
}

/** labels.Selector semantics: nil matches nothing, an empty selector everything. */
export function selectorMatches(selector: any, labels: Record<string, unknown> | undefined): boolean {
  if (selector === undefined || selector === null) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(have, key) || have[key] !== value) return false;
  }
  for (const expr of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    const has = Object.prototype.hasOwnProperty.call(have, expr.key);
    const values: unknown[] = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case 'In':
        if (!has || !values.includes(have[expr.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(have[expr.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** selector.Empty(): true only for a selector without requirements (nil is "nothing", not empty). */
export function selectorEmpty(selector: any): boolean {
  if (selector === undefined || selector === null) return false;
  const labels = selector.matchLabels ?? {};
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return Object.keys(labels).length === 0 && expressions.length === 0;
}
