// How the API server prints the Go values that reach built-in validation messages: field.Invalid
// prints a struct, slice or map with %#v (`[]string{"a"}`, `map[string]string{"k":"v"}`,
// `v1.LabelSelector{MatchLabels:...}`), a pointer as `(*T)(0xc000...)`. Addresses are whatever the
// heap gave Go; here they are made up, so tests pin them by pattern only.
import { OMIT_VALUE, type FieldError } from './field-errors.js';
import { goQuote } from './go-format.js';

export { goQuote };

let nextAddress = 0xc000120000;
/** A heap-looking address for a non-nil pointer. */
function address(): string {
  nextAddress += 0x20;
  return `0x${nextAddress.toString(16)}`;
}

export function goPointer(type: string, present: boolean): string {
  return present ? `(*${type})(${address()})` : `(*${type})(nil)`;
}

export function goStringSlice(value: unknown): string {
  if (!Array.isArray(value)) return '[]string(nil)';
  return `[]string{${value.map((v) => goQuote(String(v))).join(', ')}}`;
}

/** %#v of map[string]string: keys sorted, as fmt sorts them. */
export function goStringMap(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'map[string]string(nil)';
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]string{${entries.map(([k, v]) => `${goQuote(k)}:${goQuote(String(v))}`).join(', ')}}`;
}

/** metav1.LabelSelector (pkg v1). */
export function goLabelSelector(selector: any): string {
  const expressions = Array.isArray(selector?.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .map(
          (e: any) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(String(e?.key ?? ''))}, Operator:${goQuote(String(e?.operator ?? ''))}, Values:${goStringSlice(e?.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector?.matchLabels)}, MatchExpressions:${expressions}}`;
}

/** intstr.IntOrString: Type 0 for an integer, 1 for a string. */
export function goIntOrString(value: unknown): string {
  return typeof value === 'string'
    ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(value)}}`
    : `intstr.IntOrString{Type:0, IntVal:${Number(value) | 0}, StrVal:""}`;
}

/** A field.Invalid whose value prints as the given Go text (field-errors.ts would print JSON). */
export function invalidGo(field: string, goText: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value: OMIT_VALUE, detail: `${goText}: ${detail}` };
}

/** field.NotSupported with a Go-printed value. */
export function notSupportedGo(field: string, goText: string, valid: string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field,
    value: OMIT_VALUE,
    detail: `${goText}: supported values: ${valid.map(goQuote).join(', ')}`,
  };
}
