// The two error vocabularies of custom resource validation and the bridge between them:
// kube-openapi's validation errors (pkg/validation/errors/schema.go: "spec.x in body must be of
// type string: ...") and apimachinery field errors (`spec.x: Invalid value: ...`), converted as
// apiextensions-apiserver pkg/apiserver/validation/validation.go kubeOpenAPIResultToFieldErrors does.
// Values print as Go prints decoded JSON (field.Error.ErrorBody), which field-errors.ts approximates
// for the simpler values of the other validators.
import { FIELD_ERROR_TYPE_TEXT, type FieldErrorType } from '../field-errors.js';
import type { StatusCause } from '../status-error.js';
import { goJson, goNumber, goQuote, goSharpV, goV } from '../go-format.js';

export type OpenApiCode =
  | 'InvalidType'
  | 'Required'
  | 'TooLong'
  | 'TooShort'
  | 'Pattern'
  | 'Enum'
  | 'MultipleOf'
  | 'Max'
  | 'Min'
  | 'Unique'
  | 'MaxItems'
  | 'MinItems'
  | 'TooFewProperties'
  | 'TooManyProperties'
  | 'UnallowedProperty'
  | 'MultipleOfMustBePositive'
  /** A plain error, not a *errors.Validation: anyOf, oneOf, allOf, not. */
  | 'Composite';

export interface OpenApiError {
  code: OpenApiCode;
  /** The validator's path: '' at the root of the schema, `spec.x`, `.spec` for a required root field. */
  name: string;
  value?: unknown;
  valid?: unknown;
  values?: unknown[];
  message: string;
}

/** The `in` of every error: CRD validators always validate a request body. */
const IN = 'body';

export const openApiError = {
  invalidType: (name: string, typeName: string, value: string): OpenApiError => ({
    code: 'InvalidType',
    name,
    value,
    message: `${name} in ${IN} must be of type ${typeName}: ${goQuote(value)}`,
  }),
  required: (name: string): OpenApiError => ({ code: 'Required', name, message: `${name} in ${IN} is required` }),
  tooLong: (name: string, max: number, value: string): OpenApiError => ({
    code: 'TooLong',
    name,
    value,
    valid: max,
    message: `${name} in ${IN} should be at most ${max} chars long`,
  }),
  tooShort: (name: string, min: number, value: string): OpenApiError => ({
    code: 'TooShort',
    name,
    value,
    valid: min,
    message: `${name} in ${IN} should be at least ${min} chars long`,
  }),
  pattern: (name: string, pattern: string, value: string): OpenApiError => ({
    code: 'Pattern',
    name,
    value,
    message: `${name} in ${IN} should match '${pattern}'`,
  }),
  enum: (name: string, value: unknown, values: unknown[]): OpenApiError => ({
    code: 'Enum',
    name,
    value,
    values,
    message: `${name} in ${IN} should be one of ${goV(values)}`,
  }),
  multipleOf: (name: string, factor: string, value: unknown): OpenApiError => ({
    code: 'MultipleOf',
    name,
    value,
    message: `${name} in ${IN} should be a multiple of ${factor}`,
  }),
  multipleOfMustBePositive: (name: string, factor: number): OpenApiError => ({
    code: 'MultipleOfMustBePositive',
    name,
    value: factor,
    message: `factor MultipleOf declared for ${name} must be positive: ${goNumber(factor)}`,
  }),
  maximum: (name: string, max: string, exclusive: boolean, value: unknown): OpenApiError => ({
    code: 'Max',
    name,
    value,
    message: `${name} in ${IN} should be less than ${exclusive ? '' : 'or equal to '}${max}`,
  }),
  minimum: (name: string, min: string, exclusive: boolean, value: unknown): OpenApiError => ({
    code: 'Min',
    name,
    value,
    message: `${name} in ${IN} should be greater than ${exclusive ? '' : 'or equal to '}${min}`,
  }),
  unique: (name: string): OpenApiError => ({ code: 'Unique', name, message: `${name} in ${IN} shouldn't contain duplicates` }),
  maxItems: (name: string, max: number, size: number): OpenApiError => ({
    code: 'MaxItems',
    name,
    value: size,
    valid: max,
    message: `${name} in ${IN} should have at most ${max} items`,
  }),
  minItems: (name: string, min: number, size: number): OpenApiError => ({
    code: 'MinItems',
    name,
    value: size,
    valid: min,
    message: `${name} in ${IN} should have at least ${min} items`,
  }),
  tooFewProperties: (name: string, min: number, size: number): OpenApiError => ({
    code: 'TooFewProperties',
    name,
    value: size,
    valid: min,
    message: `${name} in ${IN} should have at least ${min} properties`,
  }),
  tooManyProperties: (name: string, max: number, size: number): OpenApiError => ({
    code: 'TooManyProperties',
    name,
    value: size,
    valid: max,
    message: `${name} in ${IN} should have at most ${max} properties`,
  }),
  propertyNotAllowed: (name: string, key: string): OpenApiError => ({
    code: 'UnallowedProperty',
    name,
    value: key,
    message: `${name}.${key} in ${IN} is a forbidden property`,
  }),
  composite: (message: string): OpenApiError => ({ code: 'Composite', name: '', message }),
};

/** A field.Error whose value keeps its decoded-JSON type for Go-exact printing. */
export interface SchemaFieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  /** The value is left out of the message (field.OmitValueType, Required, TooLong ...). */
  omitValue?: boolean;
  /** The value as Go prints it, when it is not decoded JSON (a typed []string, say). */
  rendered?: string;
  detail: string;
}

export const schemaFieldError = {
  required: (field: string, detail = ''): SchemaFieldError => ({ type: 'FieldValueRequired', field, omitValue: true, detail }),
  invalid: (field: string, value: unknown, detail: string): SchemaFieldError => ({ type: 'FieldValueInvalid', field, value, detail }),
  typeInvalid: (field: string, value: unknown, detail: string): SchemaFieldError => ({
    type: 'FieldValueTypeInvalid',
    field,
    value,
    detail,
  }),
  forbidden: (field: string, detail: string): SchemaFieldError => ({ type: 'FieldValueForbidden', field, omitValue: true, detail }),
  duplicate: (field: string, value: unknown): SchemaFieldError => ({ type: 'FieldValueDuplicate', field, value, detail: '' }),
  notSupported: (field: string, value: unknown, valid: string[]): SchemaFieldError => ({
    type: 'FieldValueNotSupported',
    field,
    value,
    detail: valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : '',
  }),
  tooLong: (field: string, max: number): SchemaFieldError => ({
    type: 'FieldValueTooLong',
    field,
    omitValue: true,
    detail: max >= 0 ? `may not be more than ${max} bytes` : 'value is too long',
  }),
  tooMany: (field: string, actual: number, max: number): SchemaFieldError => ({
    type: 'FieldValueTooMany',
    field,
    value: actual,
    omitValue: actual < 0,
    detail: max >= 0 ? `must have at most ${max} items` : 'has too many items',
  }),
};

/** field.Error.ErrorBody: the type, the value as Go prints it, the detail. */
export function schemaErrorBody(e: SchemaFieldError): string {
  let s = FIELD_ERROR_TYPE_TEXT[e.type];
  if (e.rendered !== undefined) {
    s += `: ${e.rendered}`;
  } else if (!e.omitValue) {
    const v = e.value;
    if (v === null || v === undefined) s += `: ${goQuote('null')}`;
    else if (typeof v === 'string') s += `: ${goQuote(v)}`;
    else if (typeof v === 'number') s += `: ${goNumber(v)}`;
    else if (typeof v === 'boolean') s += `: ${v}`;
    else s += `: ${goSharpV(v)}`;
  }
  return e.detail ? `${s}: ${e.detail}` : s;
}

export function schemaErrorText(e: SchemaFieldError): string {
  return `${e.field}: ${schemaErrorBody(e)}`;
}

export function toStatusCauses(errors: SchemaFieldError[]): StatusCause[] {
  return errors.map((e) => ({ reason: e.type, message: schemaErrorBody(e), field: e.field }));
}

/** field.Path.Child: `base.name`, or just `name` under a nil base. */
export function childPath(base: string | null, name: string): string {
  return base === null ? name : `${base}.${name}`;
}

/** kubeOpenAPIResultToFieldErrors. `base` is the field path of the validated value (null at the root). */
export function toFieldErrors(base: string | null, errors: OpenApiError[]): SchemaFieldError[] {
  return errors.map((err) => {
    if (err.code === 'Composite') return schemaFieldError.invalid(base ?? '<nil>', '', err.message);
    const path = err.name !== '' && err.name !== '.' ? childPath(base, err.name.replace(/^\./, '')) : (base ?? '<nil>');
    switch (err.code) {
      case 'Required':
        return schemaFieldError.required(path);
      case 'Enum':
        return schemaFieldError.notSupported(
          path,
          err.value,
          (err.values ?? []).map((v) => (typeof v === 'string' ? v : goJson(v))),
        );
      case 'TooLong':
        return schemaFieldError.tooLong(path, typeof err.valid === 'number' ? err.valid : -1);
      case 'MaxItems':
      case 'TooManyProperties':
        return schemaFieldError.tooMany(
          path,
          typeof err.value === 'number' ? err.value : -1,
          typeof err.valid === 'number' ? err.valid : -1,
        );
      case 'InvalidType':
        return schemaFieldError.typeInvalid(path, err.value ?? '', err.message);
      default:
        return schemaFieldError.invalid(path, err.value ?? '', err.message);
    }
  });
}
