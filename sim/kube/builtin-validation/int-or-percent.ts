// intstr.IntOrString fields (maxSurge, maxUnavailable, minAvailable) as pkg/apis/apps/validation
// checks them: ValidatePositiveIntOrPercent, IsNotMoreThan100Percent, getIntOrPercentValue.
import { fieldError, type FieldError } from '../field-errors.js';
import { goIntOrString, invalidGo } from '../go-values.js';
import { isValidPercent } from '../validation-strings.js';

export function positiveIntOrPercentErrors(value: unknown, field: string): FieldError[] {
  if (typeof value === 'string') return isValidPercent(value).map((msg) => invalidGo(field, goIntOrString(value), msg));
  if (typeof value === 'number') return value < 0 ? [fieldError.invalid(field, value, 'must be greater than or equal to 0')] : [];
  return [invalidGo(field, goIntOrString(value), "must be an integer or percentage (e.g '5%%')")];
}

function percentValue(value: unknown): number | undefined {
  if (typeof value !== 'string' || isValidPercent(value).length > 0) return undefined;
  return Number(value.slice(0, -1));
}

export function notMoreThan100PercentErrors(value: unknown, field: string): FieldError[] {
  const percent = percentValue(value);
  return percent !== undefined && percent > 100 ? [invalidGo(field, goIntOrString(value), 'must not be greater than 100%')] : [];
}

/** getIntOrPercentValue: the percent number, the integer, or 0 for an unparseable string. */
export function intOrPercentValue(value: unknown): number {
  const percent = percentValue(value);
  if (percent !== undefined) return percent;
  if (typeof value === 'number') return value;
  const parsed = Number.parseInt(String(value ?? ''), 10);
  return Number.isNaN(parsed) ? 0 : parsed;
}
