// The simulator's GraphQL execution: resolvers attached per field, documents parsed, validated and
// compiled once and reused, errors that keep their typed cause, and a bounded cache.
import t from 'tap';
import { buildSchema, GraphQLError } from 'graphql';
import { attachResolvers, DocumentCache, type Resolvers } from '../../sim/compass/graphql-execution.js';

class TypedError extends Error {}

interface Context {
  calls: string[];
}

const sdl = `
  type Query { items(first: Int = 2): [Item!]! item(id: ID!): Item failing: String }
  type Item { id: ID! name: String! tags(prefix: String): [String!] }
`;
const resolvers: Resolvers<Context> = {
  Query: {
    items: (_root, { first }: { first: number }, context) => {
      context.calls.push(`items ${first}`);
      return Array.from({ length: first }, (_, i) => ({ id: `i${i}`, name: `item ${i}`, tags: ['a', 'b'] }));
    },
    item: (_root, { id }: { id: string }) => (id === 'missing' ? null : { id, name: `item ${id}`, tags: [] }),
    failing: () => {
      throw new TypedError('typed failure');
    },
  },
  Item: {
    tags: (item: { tags: string[] }, { prefix }: { prefix?: string | null }) => item.tags.map((tag) => `${prefix ?? ''}${tag}`),
  },
};
const schema = attachResolvers(buildSchema(sdl), resolvers);

t.test('executes with field resolvers, arguments, defaults and the context', async (t) => {
  const cache = new DocumentCache();
  const document = cache.get(
    schema,
    'query Q($n: Int) { items(first: $n) { id tags(prefix: "x-") } more: item(id: "7") { name } none: item(id: "missing") { id } }',
    undefined,
  );
  t.same(document.fields, [
    { name: 'items', key: 'items' },
    { name: 'item', key: 'more' },
    { name: 'item', key: 'none' },
  ]);
  const context: Context = { calls: [] };
  t.same(await document.execute(context, { n: 3 }), {
    data: {
      items: [
        { id: 'i0', tags: ['x-a', 'x-b'] },
        { id: 'i1', tags: ['x-a', 'x-b'] },
        { id: 'i2', tags: ['x-a', 'x-b'] },
      ],
      more: { name: 'item 7' },
      none: null,
    },
  });
  const defaults = await cache.get(schema, '{ items { id } }', undefined).execute(context, undefined);
  t.equal((defaults.data as { items: unknown[] }).items.length, 2, 'the schema default applies');
  t.same(context.calls, ['items 3', 'items 2']);
});

t.test('the same document is prepared once per schema and operation', async (t) => {
  const cache = new DocumentCache();
  const query = 'query A { items { id } } query B { failing }';
  const a = cache.get(schema, query, 'A');
  t.equal(cache.get(schema, query, 'A'), a, 'reused');
  const b = cache.get(schema, query, 'B');
  t.not(b, a, 'another operation is another entry');
  t.same(b.fields, [{ name: 'failing', key: 'failing' }]);
  const other = attachResolvers(buildSchema(sdl), resolvers);
  t.not(cache.get(other, query, 'A'), a, 'another schema is another entry');
  const unselected = await cache.get(schema, query, undefined).execute({ calls: [] }, undefined);
  t.match(unselected.errors?.[0]?.message, /Must provide operation name/, 'an ambiguous document answers with errors, as graphql-js does');
});

t.test('a resolver error keeps its cause; null propagates; variables are checked', async (t) => {
  const cache = new DocumentCache();
  const failed = await cache.get(schema, '{ failing items { id } }', undefined).execute({ calls: [] }, undefined);
  t.equal(failed.errors?.length, 1);
  t.ok(failed.errors?.[0] instanceof GraphQLError);
  t.ok(failed.errors?.[0]?.originalError instanceof TypedError, 'the typed error is the original error');
  t.same(failed.errors?.[0]?.path, ['failing']);
  t.same(failed.data, { failing: null, items: [{ id: 'i0' }, { id: 'i1' }] });
  const missing = await cache.get(schema, 'query ($id: ID!) { item(id: $id) { id } }', undefined).execute({ calls: [] }, {});
  t.match(missing.errors?.[0]?.message, /Variable "\$id" of required type "ID!" was not provided/);
  t.equal(missing.data, undefined);
});

t.test('validation and parse errors', async (t) => {
  const cache = new DocumentCache();
  const invalid = cache.get(schema, '{ nope }', undefined);
  t.match(invalid.validationErrors[0]?.message, /Cannot query field "nope"/);
  await t.rejects(invalid.execute({ calls: [] }, undefined), /invalid document cannot be executed/);
  t.throws(() => cache.get(schema, '{ items { id }', undefined), GraphQLError, 'a syntax error throws');
  t.throws(() => attachResolvers(buildSchema(sdl), { Item: { nope: () => 1 } }), /Item.nope, which the schema lacks/);
  t.throws(() => attachResolvers(buildSchema(sdl), { Nope: {} }), /Nope, which is not an object type/);
});

t.test('the cache keeps at most its limit, dropping the least recently used', async (t) => {
  const cache = new DocumentCache(2);
  const one = cache.get(schema, '{ items { id } }', undefined);
  const two = cache.get(schema, '{ items { name } }', undefined);
  t.equal(cache.get(schema, '{ items { id } }', undefined), one, 'one is used again');
  cache.get(schema, '{ failing }', undefined);
  t.equal(cache.get(schema, '{ items { id } }', undefined), one, 'the recently used one stays');
  t.not(cache.get(schema, '{ items { name } }', undefined), two, 'the least recently used one was dropped');
});
