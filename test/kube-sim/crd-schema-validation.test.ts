// Custom resource schema handling without a server: validation messages exactly as kube-openapi and
// apiextensions-apiserver word them, pruning, nulls, defaulting, list-type uniqueness, ratcheting,
// and how Go prints the values in those messages.
import t from 'tap';
import { compileSchema, type Json, type JsonObject } from '../../sim/kube/crd-schema/schema-node.js';
import { validateAgainstSchema } from '../../sim/kube/crd-schema/validator.js';
import { schemaErrorText, toFieldErrors } from '../../sim/kube/crd-schema/schema-errors.js';
import { decodeCustomResource, pruneValue } from '../../sim/kube/crd-schema/pruning.js';
import { applyDefaults } from '../../sim/kube/crd-schema/defaulting.js';
import { validateListSetsAndMaps } from '../../sim/kube/crd-schema/list-type.js';
import { goFloat, goJson, goQuote, goSharpV } from '../../sim/kube/go-format.js';
import { isDateTime } from '../../sim/kube/crd-schema/formats.js';

/** A resource schema whose spec is `spec`. */
const resource = (spec: Record<string, unknown>) => ({
  type: 'object',
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec },
});

/** The `field: message` texts of validating `spec` against the spec schema, as the 422 lists them. */
function specErrors(specSchema: Record<string, unknown>, spec: Json, old?: Json): string[] {
  const root = compileSchema(resource(specSchema));
  const obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec } as JsonObject;
  const previous = old === undefined ? undefined : { value: { ...obj, spec: old } as JsonObject };
  return toFieldErrors(null, validateAgainstSchema(obj, root, '', previous).errors).map(schemaErrorText);
}

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

t.test('a value of the wrong type names the JSON type it decoded to', async (t) => {
  const schema = obj({
    s: { type: 'string' },
    i: { type: 'integer' },
    n: { type: 'number' },
    b: { type: 'boolean' },
    o: obj({}),
    a: { type: 'array', items: { type: 'string' } },
  });
  t.same(specErrors(schema, { s: 5 }), ['spec.s: Invalid value: "integer": spec.s in body must be of type string: "integer"']);
  t.same(specErrors(schema, { s: 1.5 }), ['spec.s: Invalid value: "number": spec.s in body must be of type string: "number"']);
  t.same(specErrors(schema, { s: true, i: 'x' }), [
    'spec.s: Invalid value: "boolean": spec.s in body must be of type string: "boolean"',
    'spec.i: Invalid value: "string": spec.i in body must be of type integer: "string"',
  ]);
  t.same(specErrors(schema, { i: 1.5 }), ['spec.i: Invalid value: "number": spec.i in body must be of type integer: "number"']);
  t.same(specErrors(schema, { o: [], a: {} }), [
    'spec.o: Invalid value: "array": spec.o in body must be of type object: "array"',
    'spec.a: Invalid value: "object": spec.a in body must be of type array: "object"',
  ]);
  t.same(specErrors(schema, { i: 3, n: 3, b: false, a: ['x'], o: {} }), [], 'an integer is a number too');
});

t.test("required, enum, pattern, lengths, bounds, multipleOf, item and property counts: the API server's messages", async (t) => {
  t.same(specErrors(obj({ a: { type: 'string' } }, { required: ['a', 'b'] }), {}), ['spec.a: Required value', 'spec.b: Required value']);
  t.same(specErrors(obj({ e: { type: 'string', enum: ['API', 'Events'] } }), { e: 'Other' }), [
    'spec.e: Unsupported value: "Other": supported values: "API", "Events"',
  ]);
  t.same(specErrors(obj({ e: { type: 'integer', enum: [1, 2] } }), { e: 3 }), ['spec.e: Unsupported value: 3: supported values: "1", "2"']);
  t.same(specErrors(obj({ p: { type: 'string', pattern: '^[a-z]+$' } }), { p: 'A1' }), [
    'spec.p: Invalid value: "A1": spec.p in body should match \'^[a-z]+$\'',
  ]);
  t.same(specErrors(obj({ l: { type: 'string', maxLength: 3 } }), { l: 'abcd' }), ['spec.l: Too long: may not be more than 3 bytes']);
  t.same(specErrors(obj({ l: { type: 'string', maxLength: 3 } }), { l: 'äöü' }), [], 'length counts characters, not bytes');
  t.same(specErrors(obj({ l: { type: 'string', minLength: 3 } }), { l: 'ab' }), [
    'spec.l: Invalid value: "ab": spec.l in body should be at least 3 chars long',
  ]);
  const bounded = obj({ n: { type: 'integer', minimum: 1, maximum: 10 }, x: { type: 'number', maximum: 1000000, exclusiveMaximum: true } });
  t.same(specErrors(bounded, { n: 11 }), ['spec.n: Invalid value: 11: spec.n in body should be less than or equal to 10']);
  t.same(specErrors(bounded, { n: 0 }), ['spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1']);
  t.same(
    specErrors(bounded, { x: 1000000.5 }),
    ['spec.x: Invalid value: 1.0000005e+06: spec.x in body should be less than 1e+06'],
    'float64 values print as Go prints them',
  );
  t.same(specErrors(obj({ m: { type: 'integer', multipleOf: 5 } }), { m: 7 }), [
    'spec.m: Invalid value: 7: spec.m in body should be a multiple of 5',
  ]);
  const counted = obj({
    a: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
    m: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 2 },
  });
  t.same(specErrors(counted, { a: [] }), ['spec.a: Invalid value: 0: spec.a in body should have at least 1 items']);
  t.same(specErrors(counted, { a: ['1', '2', '3'] }), ['spec.a: Too many: 3: must have at most 2 items']);
  t.same(specErrors(counted, { m: {} }), ['spec.m: Invalid value: 0: spec.m in body should have at least 1 properties']);
  t.same(specErrors(counted, { m: { a: 'a', b: 'b', c: 'c' } }), ['spec.m: Too many: 3: must have at most 2 items']);
});

t.test('formats the API server checks are validated; the ones it strips (int64, ...) are not', async (t) => {
  const formats = obj({
    t: { type: 'string', format: 'date-time' },
    d: { type: 'string', format: 'date' },
    u: { type: 'string', format: 'uuid' },
    ip: { type: 'string', format: 'ipv4' },
    b: { type: 'string', format: 'byte' },
    dur: { type: 'string', format: 'duration' },
    i: { type: 'integer', format: 'int64' },
    s: { type: 'string', format: 'int32' },
  });
  t.same(
    specErrors(formats, {
      t: '2024-02-29T23:59:59Z',
      d: '2024-02-29',
      u: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      ip: '10.0.0.1',
      b: 'aGk=',
      dur: '1h30m',
      i: 1,
      s: 'anything',
    }),
    [],
  );
  t.same(specErrors(formats, { t: 'yesterday' }), [
    'spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"',
  ]);
  t.same(
    specErrors(formats, { d: '2023-02-29' }),
    ['spec.d: Invalid value: "2023-02-29": spec.d in body must be of type date: "2023-02-29"'],
    'no 29 February in 2023',
  );
  t.same(specErrors(formats, { ip: '::1' }), ['spec.ip: Invalid value: "::1": spec.ip in body must be of type ipv4: "::1"']);
  t.same(
    specErrors(formats, { t: 5 }),
    ['spec.t: Invalid value: "int64": spec.t in body must be of type date-time: "int64"'],
    'a number where a formatted string belongs: the format is named',
  );
  t.ok(isDateTime('2024-01-01t10:00:00.5+01:00') && !isDateTime('2024-01-01T24:00:00Z'));
});

t.test('nullable: null is accepted where nullable, dropped from objects where not, and an error in array items', async (t) => {
  const schema = obj(
    { n: { type: 'string', nullable: true }, s: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    { required: ['s'] },
  );
  t.same(specErrors(schema, { n: null, s: 'x' }), []);
  t.same(specErrors(schema, { n: null, s: 'x', tags: ['a', null] }), [
    'spec.tags[1]: Invalid value: "null": spec.tags[1] in body must be of type string: "null"',
  ]);
  const root = compileSchema(resource(schema));
  const { value } = decodeCustomResource({ spec: { s: null, n: null } }, root, false);
  t.same(value, { spec: { n: null } }, 'decoding drops the non-nullable null, so `required` then fails');
  t.same(toFieldErrors(null, validateAgainstSchema(value, root, '').errors).map(schemaErrorText), ['spec.s: Required value']);
});

t.test('x-kubernetes-int-or-string takes integers and strings; anything else fails the type and the anyOf', async (t) => {
  const schema = obj({ port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } });
  t.same(specErrors(schema, { port: 80 }), []);
  t.same(specErrors(schema, { port: 'http' }), []);
  t.same(specErrors(schema, { port: true }), [
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    '<nil>: Invalid value: "": "spec.port" must validate at least one schema (anyOf)',
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
  ]);
});

t.test('additionalProperties: a schema validates each value, false forbids every key', async (t) => {
  t.same(specErrors(obj({ labels: { type: 'object', additionalProperties: { type: 'string' } } }), { labels: { a: 'x', b: 2 } }), [
    'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
  ]);
  t.same(specErrors(obj({ closed: { type: 'object', additionalProperties: false } }), { closed: { x: 1 } }), [
    'spec.closed: Invalid value: "x": spec.closed.x in body is a forbidden property',
  ]);
});

t.test('status subresource validation: field paths under status, messages relative to the status schema', async (t) => {
  const status = compileSchema(obj({ state: { type: 'string' }, since: { type: 'string', format: 'date-time' } }, { required: ['state'] }));
  t.same(toFieldErrors('status', validateAgainstSchema({ since: 'then' }, status, '').errors).map(schemaErrorText), [
    'status.since: Invalid value: "then": since in body must be of type date-time: "then"',
    'status.state: Required value',
  ]);
});

t.test('ratcheting: unchanged invalid values pass an update, changed ones are validated', async (t) => {
  const schema = obj({
    name: { type: 'string', maxLength: 3 },
    other: { type: 'string' },
    items: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['k'],
      items: obj({ k: { type: 'string' }, v: { type: 'string', maxLength: 1 } }, { required: ['k'] }),
    },
  });
  const old = { name: 'toolong', other: 'a', items: [{ k: 'a', v: 'xx' }] };
  t.same(specErrors(schema, { ...old, other: 'b' }, old), [], 'only other changed');
  t.same(
    specErrors(
      schema,
      {
        ...old,
        items: [
          { k: 'b', v: 'y' },
          { k: 'a', v: 'xx' },
        ],
      },
      old,
    ),
    [],
    'map-list items correlate by key, not index',
  );
  t.same(specErrors(schema, { ...old, name: 'stilltoolong' }, old), ['spec.name: Too long: may not be more than 3 bytes']);
  t.same(specErrors(schema, { ...old, items: [{ k: 'a', v: 'yy' }] }, old), ['spec.items[0].v: Too long: may not be more than 1 bytes']);
  t.same(specErrors(schema, { ...old, other: 'b' }).length, 2, 'a create validates everything');
});

t.test('list-type set and map: the second occurrence is a Duplicate value, printed as Go prints it', async (t) => {
  const root = compileSchema(
    resource(
      obj({
        set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        map: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: obj({ type: { type: 'string' } }),
        },
        map2: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['a', 'b'],
          items: obj({ a: { type: 'string' }, b: { type: 'integer' } }),
        },
      }),
    ),
  );
  const errors = validateListSetsAndMaps(null, root, {
    spec: {
      set: ['x', 'y', 'x', 'x'],
      map: [{ type: 'A' }, { type: 'B' }, { type: 'A' }],
      map2: [
        { a: 'x', b: 1 },
        { a: 'x', b: 1 },
      ],
    },
  });
  t.same(errors.map(schemaErrorText), [
    'spec.set[2]: Duplicate value: "x"',
    'spec.map[2]: Duplicate value: map[string]interface {}{"type":"A"}',
    'spec.map2[1]: Duplicate value: map[string]interface {}{"a":"x", "b":1}',
  ]);
  t.same(validateListSetsAndMaps(null, root, { spec: { map: [{ type: 'A' }, 'x'] } }).map(schemaErrorText), [
    'spec.map[1]: Invalid value: "x": must be an object for an array of list-type map',
  ]);
  const inMap = compileSchema(
    resource(
      obj({
        byName: { type: 'object', additionalProperties: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'integer' } } },
      }),
    ),
  );
  t.same(
    validateListSetsAndMaps(null, inMap, { spec: { byName: { a: [1, 2, 1] } } }).map(schemaErrorText),
    ['spec.byName[a][2]: Duplicate value: 1'],
    'map values are keyed paths',
  );
});

t.test(
  'pruning: unknown fields go, reported as sorted paths after the metadata ones; preserve-unknown-fields and embedded resources keep theirs',
  async (t) => {
    const root = compileSchema({
      type: 'object',
      properties: {
        spec: obj({
          known: { type: 'string' },
          list: { type: 'array', items: obj({ a: { type: 'string' } }) },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: obj({ x: { type: 'string' } }) } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: obj({}) } },
        }),
      },
    });
    const input = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', bogus: 1, ownerReferences: [{ uid: 'u', extra: true }] },
      spec: {
        zeta: 1,
        known: 'k',
        alpha: 2,
        list: [{ a: 'x', b: 'y' }],
        free: { anything: { goes: true }, typed: { x: 'x', y: 'y' } },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', junk: 1 }, spec: {}, other: 1 },
      },
      status: { dropped: true },
    };
    const decoded = decodeCustomResource(input, root, true);
    t.same(decoded.unknownFields, [
      'metadata.bogus',
      'metadata.ownerReferences[0].extra',
      'spec.alpha',
      'spec.free.typed.y',
      'spec.list[0].b',
      'spec.template.other',
      'spec.zeta',
      'status',
      'spec.template.metadata.junk',
    ]);
    t.same(decoded.value, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', ownerReferences: [{ uid: 'u' }] },
      spec: {
        known: 'k',
        list: [{ a: 'x' }],
        free: { anything: { goes: true }, typed: { x: 'x' } },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
      },
    });
    t.same(input.spec.list, [{ a: 'x', b: 'y' }], 'the input is not mutated');
    t.equal(decodeCustomResource(decoded.value, root, true).value, decoded.value, 'nothing to prune: the same object comes back');
    const embeddedKind = decodeCustomResource({ spec: { template: { apiVersion: 'v1', kind: 5 } } }, root, false);
    t.equal(embeddedKind.error, 'spec.template.kind: Invalid value: 5: must be a string');
    const nulls = decodeCustomResource({ spec: { free: { typed: null, other: null }, known: null } }, root, true);
    t.same(nulls.value, { spec: { free: { other: null } } }, 'non-nullable nulls go under preserve-unknown-fields too; unknown ones stay');
    const bare = compileSchema({ type: 'object', properties: { spec: { type: 'object', additionalProperties: true } } });
    t.same(
      decodeCustomResource({ spec: { a: { b: 1 }, c: 2 } }, bare, true),
      { value: { spec: { a: {}, c: 2 } }, unknownFields: ['spec.a.b'], error: undefined },
      'additionalProperties: true keeps the keys but prunes inside their objects, as the structural schema has no schema there',
    );
  },
);

t.test('defaulting fills missing and non-nullable null properties, map values and array items, also inside what it added', async (t) => {
  const root = compileSchema(
    resource(
      obj({
        encodeUrl: { type: 'boolean', default: true },
        maybe: { type: 'string', nullable: true, default: 'd' },
        nested: obj({ inner: { type: 'integer', default: 7 } }, { default: {} }),
        map: { type: 'object', additionalProperties: { type: 'string', default: 'v' } },
        list: { type: 'array', items: { type: 'string', default: 'i' } },
      }),
    ),
  );
  const input = { spec: { maybe: null, map: { a: null, b: 'b' }, list: [null, 'x'] } };
  t.same(applyDefaults(input, root), {
    spec: { encodeUrl: true, maybe: null, nested: { inner: 7 }, map: { a: 'v', b: 'b' }, list: ['i', 'x'] },
  });
  t.same(input, { spec: { maybe: null, map: { a: null, b: 'b' }, list: [null, 'x'] } }, 'the input is not mutated');
  const complete = { spec: { encodeUrl: false, maybe: 'x', nested: { inner: 1 }, map: {}, list: [] } };
  t.equal(applyDefaults(complete, root), complete, 'nothing to default: the same object comes back');
  t.same(pruneValue({ inner: 1, extra: 2 }, compileSchema(obj({ inner: { type: 'integer' } })), false), { inner: 1 });
});

t.test('Go prints values in messages its own way', async (t) => {
  t.equal(goFloat(1000000), '1e+06');
  t.equal(goFloat(123456.5), '123456.5');
  t.equal(goFloat(0.00001), '1e-05');
  t.equal(goFloat(0.0001), '0.0001');
  t.equal(goQuote('a"b\\c\n\x01\x7f'), '"a\\"b\\\\c\\n\\x01\\x7f"');
  t.equal(goSharpV({ b: [1, 'x', null], a: 1.5 }), 'map[string]interface {}{"a":1.5, "b":[]interface {}{1, "x", interface {}(nil)}}');
  t.equal(goJson({ b: '<&>', a: [1, { d: true, c: null }] }), '{"a":[1,{"c":null,"d":true}],"b":"\\u003c\\u0026\\u003e"}');
});

t.test('every format the API server checks: a valid and an invalid value each', async (t) => {
  const samples: [string, string, string][] = [
    ['bsonobjectid', '507f1f77bcf86cd799439011', '507f1f77'],
    ['uri', 'https://example.com:8443/a?b=c', 'example.com/no-scheme'],
    ['email', 'Jane <jane@example.com>', 'jane.example.com'],
    ['hostname', 'api.example.com', '-bad-.com'],
    ['ipv4', '192.168.001.1', '256.1.1.1'],
    ['ipv6', '2001:db8::1', '2001:db8:::1'],
    ['cidr', '10.0.0.0/8', '10.0.0.0/33'],
    ['mac', '00:1a:2b:3c:4d:5e', '00:1a:2b'],
    ['uuid3', 'a3bb189e-8bf9-3888-9912-ace4e6543002', 'a3bb189e-8bf9-4888-9912-ace4e6543002'],
    ['uuid4', '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0', '0f1e2d3c-4b5a-5978-8796-a5b4c3d2e1f0'],
    ['uuid5', '0f1e2d3c-4b5a-5978-8796-a5b4c3d2e1f0', '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0'],
    ['isbn', '978-0321751041', '978-0321751042'],
    ['isbn10', '0321751043', '0321751044'],
    ['isbn13', '9780321751041', '9780321751040'],
    ['creditcard', '4111 1111 1111 1111', '4111 1111 1111 1112'],
    ['ssn', '123-45-6789', '123-456-789'],
    ['hexcolor', '#a0c', '#abcd'],
    ['rgbcolor', 'rgb(255, 0, 10)', 'rgb(256,0,0)'],
    ['byte', 'aGVsbG8=', 'aGVsbG8'],
    ['duration', '3 days', 'soon'],
    ['password', 'anything', ''],
  ];
  for (const [format, good, bad] of samples) {
    const schema = obj({ f: { type: 'string', format } });
    t.same(specErrors(schema, { f: good }), [], `${format}: ${good}`);
    if (format === 'password') continue;
    t.same(
      specErrors(schema, { f: bad }),
      [`spec.f: Invalid value: ${goQuote(bad)}: spec.f in body must be of type ${format}: ${goQuote(bad)}`],
      `${format}: ${bad}`,
    );
  }
});

t.test('oneOf, allOf and not: the composite message at <nil>, then the best failing branch', async (t) => {
  const oneOf = obj({ s: { type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }] } });
  t.same(specErrors(oneOf, { s: {} }), [
    '<nil>: Invalid value: "": "spec.s" must validate one and only one schema (oneOf). Found none valid',
    'spec.s.a: Required value',
  ]);
  t.same(specErrors(oneOf, { s: { a: 1, b: 2 } }), [
    '<nil>: Invalid value: "": "spec.s" must validate one and only one schema (oneOf). Found 2 valid alternatives',
  ]);
  t.same(specErrors(oneOf, { s: { b: 2 } }), []);
  const allOf = obj({ s: { type: 'object', allOf: [{ required: ['a'] }, { required: ['b'] }] } });
  t.same(specErrors(allOf, { s: {} }), [
    'spec.s.a: Required value',
    'spec.s.b: Required value',
    '<nil>: Invalid value: "": "spec.s" must validate all the schemas (allOf). None validated',
  ]);
  t.same(specErrors(allOf, { s: { a: 1 } }), [
    'spec.s.b: Required value',
    '<nil>: Invalid value: "": "spec.s" must validate all the schemas (allOf)',
  ]);
  t.same(specErrors(obj({ s: { type: 'object', not: { required: ['a'] } } }), { s: { a: 1 } }), [
    '<nil>: Invalid value: "": "spec.s" must not validate the schema (not)',
  ]);
  t.same(specErrors(obj({ f: { type: 'number', multipleOf: 0.5 } }), { f: 1.25 }), [
    'spec.f: Invalid value: 1.25: spec.f in body should be a multiple of 0.5',
  ]);
  t.same(specErrors(obj({ f: { type: 'number', minimum: 1.5, exclusiveMinimum: true } }), { f: 1.5 }), [
    'spec.f: Invalid value: 1.5: spec.f in body should be greater than 1.5',
  ]);
});

t.test('embedded resources need apiVersion and kind, well-formed, and a path-segment name', async (t) => {
  const { validateEmbeddedResources } = await import('../../sim/kube/crd-schema/embedded-resources.js');
  const root = compileSchema(
    resource(
      obj({
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        many: {
          type: 'array',
          items: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        },
      }),
    ),
  );
  const errors = (spec: Json) => validateEmbeddedResources({ spec }, root).map(schemaErrorText);
  t.same(errors({ template: {} }), [
    'spec.template.apiVersion: Required value: must not be empty',
    'spec.template.kind: Required value: must not be empty',
  ]);
  t.same(errors({ template: { apiVersion: 'a/b/c', kind: 'Bad_Kind', metadata: { name: 'x/y' } } }), [
    'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
    "spec.template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.template.metadata.name: Invalid value: "x/y": may not contain \'/\'',
  ]);
  t.same(
    errors({
      many: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: '..' } },
        { apiVersion: '', kind: 5 },
      ],
    }),
    [
      'spec.many[0].metadata.name: Invalid value: "..": may not be \'..\'',
      'spec.many[1].apiVersion: Invalid value: "": must not be empty',
      'spec.many[1].kind: Invalid value: 5: must be a string',
    ],
  );
});

t.test('Go regular expressions: leading flags, \\A and \\z, POSIX classes; look-ahead is refused', async (t) => {
  const { compileGoPattern } = await import('../../sim/kube/crd-schema/go-regexp.js');
  const test = (pattern: string, value: string) => {
    const c = compileGoPattern(pattern);
    return c.ok ? c.re.test(value) : c.error;
  };
  t.equal(test('(?i)^abc$', 'ABC'), true);
  t.equal(test('\\Aab\\z', 'ab'), true);
  t.equal(test('\\Aab\\z', 'ab\n'), false);
  t.equal(test('^[[:alpha:]]+[[:digit:]]$', 'abc1'), true);
  t.equal(test('^a\\-b$', 'a-b'), true, 'an escaped dash outside a class (RE2 allows it, unicode-mode JavaScript does not)');
  t.equal(test('(a)\\1', 'aa'), 'error parsing regexp: invalid escape sequence: `\\1`');
  t.equal(test('x(?!y)', 'x'), 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`');
  t.equal(goQuote('tab\there \u2028 \u00e9'), '"tab\\there \\u2028 é"');
});
