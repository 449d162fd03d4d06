// The schema rules of apiextensions.k8s.io/v1 CRDs, without a server: which schemas are refused and
// with which message, and that the project's and the upstream CRDs pass.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { validateCrdSchemas } from '../../sim/kube/crd-schema/crd-schema-rules.js';
import { schemaErrorText } from '../../sim/kube/crd-schema/schema-errors.js';
import { UPSTREAM_INSTALL_DIR } from '../helpers/upstream-files.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const UPSTREAM = `${UPSTREAM_INSTALL_DIR}/`;
const P = 'spec.versions[0].schema.openAPIV3Schema';

/** The error texts for a CRD whose only version has this schema (and, optionally, a status subresource). */
function errorsFor(schema: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): string[] {
  const version = { name: 'v1', served: true, storage: true, ...(schema ? { schema: { openAPIV3Schema: schema } } : {}), ...extra };
  return validateCrdSchemas({
    spec: { group: 'example.com', names: { plural: 'things', kind: 'Thing' }, scope: 'Namespaced', versions: [version] },
  }).map(schemaErrorText);
}

const spec = (properties: Record<string, unknown>) => ({ type: 'object', properties: { spec: { type: 'object', properties } } });

t.test('every version needs a schema', async (t) => {
  t.same(errorsFor(undefined), [`${P}: Required value: schemas are required`]);
});

t.test('structural: types everywhere, object at the root, array items, metadata left alone; errors sorted', async (t) => {
  t.same(
    errorsFor({ type: 'object', properties: { spec: { properties: { list: { type: 'array' }, x: { items: { type: 'string' } } } } } }),
    [
      `${P}.properties[spec].properties[list].items: Required value: must be specified`,
      `${P}.properties[spec].properties[x].type: Required value: must not be empty for specified object fields`,
      `${P}.properties[spec].type: Required value: must not be empty for specified object fields`,
    ],
  );
  t.same(errorsFor({ type: 'array', items: { type: 'string' } }), [`${P}.type: Invalid value: "array": must be object at the root`]);
  t.same(errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }), [
    `${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ]);
  t.same(
    errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } } }),
    [],
    'name may be constrained',
  );
  t.same(errorsFor({ type: 'object', properties: { spec: { type: 'object', anyOf: [{ type: 'object', description: 'x' }] } } }), [
    `${P}.properties[spec].anyOf[0].description: Forbidden: must be empty to be structural`,
    `${P}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural`,
  ]);
  t.same(
    errorsFor(spec({ port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } })),
    [],
    'the int-or-string anyOf is allowed',
  );
});

t.test('unsupported OpenAPI features and inconsistent extensions', async (t) => {
  t.same(errorsFor(spec({ u: { type: 'array', items: { type: 'string' }, uniqueItems: true } })), [
    `${P}.properties[spec].properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
  ]);
  t.same(errorsFor(spec({ r: { $ref: '#/definitions/x', type: 'object' } })), [
    `${P}.properties[spec].properties[r].$ref: Forbidden: $ref is not supported`,
  ]);
  t.same(errorsFor(spec({ p: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } })), [
    `${P}.properties[spec].properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
  ]);
  t.same(errorsFor(spec({ d: { type: 'date' } })), [
    `${P}.properties[spec].properties[d].type: Unsupported value: "date": supported values: "array", "boolean", "integer", "number", "object", "string"`,
  ]);
  t.same(errorsFor(spec({ s: { type: 'string', pattern: '(?=x)' } })), [
    `${P}.properties[spec].properties[s].pattern: Invalid value: "(?=x)": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``,
  ]);
  t.same(
    errorsFor(
      spec({
        l: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' } } },
        },
      }),
    ),
    [
      `${P}.properties[spec].properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ],
  );
  t.same(errorsFor({ type: 'object', nullable: true }), [`${P}.nullable: Forbidden: nullable cannot be true at the root`]);
  // (The API server prints the whole JSONSchemaProps struct, pointers included, as the value: only the detail is pinned.)
  const [rootError] = errorsFor({ type: 'object', properties: {}, anyOf: [{ required: ['spec'] }] }, { subresources: { status: {} } });
  t.match(
    rootError,
    new RegExp(
      `^${P.replace(/[[\].]/g, '\\$&')}: Invalid value: .*: only \\[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations\\] fields are allowed at the root of the schema if the status subresource is enabled$`,
    ),
  );
  t.same(
    validateCrdSchemas({
      spec: { preserveUnknownFields: true, versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object' } } }] },
    }).map(schemaErrorText),
    [
      'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ],
  );
});

t.test('defaults must be pruned and valid against their own schema; none in metadata', async (t) => {
  t.same(errorsFor(spec({ o: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } } })), [
    `${P}.properties[spec].properties[o].default: Invalid value: map[string]interface {}{"a":"x", "b":"y"}: must not have unknown fields`,
  ]);
  t.same(errorsFor(spec({ n: { type: 'integer', maximum: 3, default: 5 } })), [
    `${P}.properties[spec].properties[n].default: Invalid value: 5:  in body should be less than or equal to 3`,
  ]);
  t.same(errorsFor({ type: 'object', properties: { metadata: { type: 'object', default: {} } } }), [
    `${P}.properties[metadata].default: Forbidden: must not be set in top-level metadata`,
  ]);
});

t.test("the project's CRDs and the upstream CRDs pass", async (t) => {
  const files = readdirSync(CRDS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${CRDS}${f}`);
  if (existsSync(UPSTREAM)) files.push(`${UPSTREAM}applications-crd.yaml`, `${UPSTREAM}compassconnections-crd.yaml`);
  else t.comment(`${UPSTREAM} is absent: only the project's CRDs are checked`);
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8')))
      t.same(validateCrdSchemas(doc.toJSON()).map(schemaErrorText), [], file);
  }
});

t.test('more structural rules: embedded resources, int-or-string, the root, nested value validations', async (t) => {
  t.same(
    errorsFor({ type: 'array', items: { type: 'string' } }, { subresources: { status: {} } })[0],
    `${P}.type: Invalid value: "array": only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
  );
  t.same(errorsFor({ type: 'object', additionalProperties: { type: 'string' } }), [
    `${P}.additionalProperties: Forbidden: must not be used at the root`,
  ]);
  t.same(errorsFor({ type: 'object', properties: { kind: { type: 'integer' }, apiVersion: {} } }), [
    `${P}.properties[apiVersion].type: Invalid value: "": must be string`,
    `${P}.properties[apiVersion].type: Required value: must not be empty for specified object fields`,
    `${P}.properties[kind].type: Invalid value: "integer": must be string`,
  ]);
  t.same(errorsFor(spec({ e: { 'x-kubernetes-embedded-resource': true } })), [
    `${P}.properties[spec].properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
    `${P}.properties[spec].properties[e].type: Required value: must be object if x-kubernetes-embedded-resource is true`,
  ]);
  t.same(
    errorsFor(
      spec({
        e: {
          type: 'string',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-int-or-string': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      }),
    ),
    [
      `${P}.properties[spec].properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
      `${P}.properties[spec].properties[e].x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
      `${P}.properties[spec].properties[e].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    ],
  );
  // Structural errors first (sorted), then the OpenAPI ones.
  t.same(
    errorsFor(
      spec({
        e: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
          additionalProperties: { type: 'string' },
          properties: { metadata: { type: 'string' } },
        },
      }),
    ),
    [
      `${P}.properties[spec].properties[e].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`,
      `${P}.properties[spec].properties[e].properties[metadata].type: Invalid value: "string": must be object`,
      `${P}.properties[spec].properties[e].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ],
  );
  t.same(
    errorsFor(
      spec({
        n: {
          type: 'object',
          allOf: [
            {
              properties: {
                metadata: {},
                x: {
                  nullable: true,
                  default: 1,
                  title: 't',
                  'x-kubernetes-list-type': 'set',
                  'x-kubernetes-map-type': 'atomic',
                  'x-kubernetes-list-map-keys': ['a'],
                  'x-kubernetes-validations': [{ rule: 'true' }],
                  'x-kubernetes-embedded-resource': true,
                  additionalProperties: {},
                },
              },
            },
          ],
        },
      }),
    ),
    [
      `${P}.properties[spec].properties[n].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].additionalProperties: Forbidden: must be undefined to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].default: Forbidden: must be undefined to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].nullable: Forbidden: must be false to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].title: Forbidden: must be empty to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-embedded-resource: Forbidden: must be false to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-list-map-keys: Forbidden: must be empty to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-list-type: Forbidden: must be undefined to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-map-type: Forbidden: must be undefined to be structural`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-validations: Forbidden: must be empty to be structural`,
      // and the OpenAPI rules, which look into allOf too
      `${P}.properties[spec].properties[n].allOf[0].properties[x].type: Required value: must be object if x-kubernetes-map-type is specified`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].type: Required value: must be array if x-kubernetes-list-type is specified`,
      `${P}.properties[spec].properties[n].allOf[0].properties[x].x-kubernetes-list-type: Invalid value: "set": must be map if x-kubernetes-list-map-keys is non-empty`,
    ],
  );
  t.same(
    errorsFor({
      type: 'object',
      properties: { spec: { type: 'object' } },
      anyOf: [{ properties: { other: {} } }, { properties: { spec: { properties: { deep: {} } } } }],
    }),
    [
      `${P}.properties[other]: Required value: because it is defined in ${P}.anyOf[0].properties[other]`,
      `${P}.properties[spec].properties[deep]: Required value: because it is defined in ${P}.anyOf[1].properties[spec].properties[deep]`,
    ],
  );
});

t.test('more OpenAPI rules: unsupported keywords, list and map types', async (t) => {
  const s = `${P}.properties[spec].properties`;
  t.same(
    errorsFor(
      spec({
        a: {
          type: 'object',
          id: 'x',
          additionalItems: true,
          patternProperties: { x: {} },
          definitions: { d: {} },
          dependencies: { a: ['b'] },
        },
      }),
    ),
    [
      `${s}[a].id: Forbidden: id is not supported`,
      `${s}[a].additionalItems: Forbidden: additionalItems is not supported`,
      `${s}[a].patternProperties: Forbidden: patternProperties is not supported`,
      `${s}[a].definitions: Forbidden: definitions is not supported`,
      `${s}[a].dependencies: Forbidden: dependencies is not supported`,
    ],
  );
  t.same(errorsFor(spec({ n: { type: 'null' } })), [
    `${s}[n].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    `${s}[n].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
  ]);
  t.same(errorsFor(spec({ m: { type: 'string', 'x-kubernetes-map-type': 'weird' } })), [
    `${s}[m].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`,
    `${s}[m].x-kubernetes-map-type: Unsupported value: "weird": supported values: "atomic", "granular"`,
  ]);
  t.same(
    errorsFor(
      spec({ l: { type: 'array', 'x-kubernetes-list-type': 'bag', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'string' } } }),
    ),
    [
      `${s}[l].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
      `${s}[l].x-kubernetes-list-type: Invalid value: "bag": must be map if x-kubernetes-list-map-keys is non-empty`,
    ],
  );
  t.same(errorsFor(spec({ l: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', nullable: true } } })), [
    `${s}[l].items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set`,
    `${s}[l].items.nullable: Forbidden: cannot be nullable when x-kubernetes-list-type is set`,
  ]);
  t.same(
    errorsFor(
      spec({
        l: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['k', 'o', 'z', 'k'],
          items: { type: 'object', required: ['k', 'o'], properties: { k: { type: 'string' }, o: { type: 'object' } } },
        },
      }),
    ),
    [
      `${s}[l].items.properties[o].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
      `${s}[l].x-kubernetes-list-map-keys: Invalid value: []string{"k", "o", "z", "k"}: entries must all be names of item properties`,
      `${s}[l].x-kubernetes-list-map-keys: Invalid value: []string{"k", "o", "z", "k"}: must not contain duplicate entries`,
    ],
  );
  t.same(
    errorsFor(
      spec({
        l: { type: 'string', 'x-kubernetes-list-type': 'atomic' },
        v: { type: 'string', 'x-kubernetes-validations': [{ rule: ' ' }] },
      }),
    ),
    [
      `${s}[l].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
      `${s}[v].x-kubernetes-validations[0].rule: Required value: rule is not specified`,
    ],
  );
  t.same(
    errorsFor({ type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string', default: 'x' } } } })[1],
    `${P}.properties[metadata].additionalProperties.default: Forbidden: must not be set inside additionalProperties applying to object metadata`,
  );
});
