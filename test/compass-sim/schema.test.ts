// The simulator's hand-written schema subsets against the upstream Compass schemas (the contract):
// every type, field, argument (type and default), enum value and union member the simulator serves
// must exist upstream with the same type. Skips with a message when the schema folder is absent.
import t from 'tap';
import {
  isSpecifiedScalarType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLSchema,
} from 'graphql';
import { connectorSchema, directorSchema } from '../../sim/compass/schema.js';
import { loadUpstreamSchema, upstreamSchemaDir, validateOperation } from '../helpers/compass-schema.js';

function differences(served: GraphQLSchema, upstream: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const [name, type] of Object.entries(served.getTypeMap())) {
    if (name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    const theirs = upstream.getType(name);
    if (!theirs) {
      problems.push(`type ${name} does not exist upstream`);
      continue;
    }
    if (theirs.constructor !== type.constructor)
      problems.push(`type ${name} is a ${type.constructor.name} here but a ${theirs.constructor.name} upstream`);
    if (
      (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) &&
      (isObjectType(theirs) || isInterfaceType(theirs) || isInputObjectType(theirs))
    ) {
      const upstreamFields = theirs.getFields() as Record<
        string,
        { type: unknown; args?: readonly { name: string; type: unknown; defaultValue: unknown }[] }
      >;
      for (const [fieldName, field] of Object.entries(type.getFields())) {
        const other = upstreamFields[fieldName];
        if (!other) {
          problems.push(`${name}.${fieldName} does not exist upstream`);
          continue;
        }
        if (String(field.type) !== String(other.type))
          problems.push(`${name}.${fieldName} is ${String(field.type)} here but ${String(other.type)} upstream`);
        for (const arg of 'args' in field ? field.args : []) {
          const theirArg = other.args?.find((a) => a.name === arg.name);
          if (!theirArg) problems.push(`${name}.${fieldName}(${arg.name}) does not exist upstream`);
          else {
            if (String(arg.type) !== String(theirArg.type))
              problems.push(`${name}.${fieldName}(${arg.name}) is ${String(arg.type)} here but ${String(theirArg.type)} upstream`);
            if (arg.defaultValue !== theirArg.defaultValue)
              problems.push(
                `${name}.${fieldName}(${arg.name}) defaults to ${String(arg.defaultValue)} here but ${String(theirArg.defaultValue)} upstream`,
              );
          }
        }
      }
    }
    if (isEnumType(type) && isEnumType(theirs)) {
      for (const value of type.getValues())
        if (!theirs.getValue(value.name)) problems.push(`enum ${name}.${value.name} does not exist upstream`);
    }
    if (isUnionType(type) && isUnionType(theirs)) {
      const members = new Set(theirs.getTypes().map((member) => member.name));
      for (const member of type.getTypes())
        if (!members.has(member.name)) problems.push(`union ${name} has no member ${member.name} upstream`);
    }
    if (isScalarType(type) && !isScalarType(theirs)) problems.push(`${name} is not a scalar upstream`);
  }
  return problems;
}

const dir = upstreamSchemaDir();

t.test(
  'the served schema subsets exist upstream with the same types',
  { skip: dir ? false : 'upstream compass-schemas folder not found (set COMPASS_SCHEMAS_DIR)' },
  async (t) => {
    const connector = loadUpstreamSchema('connector');
    const director = loadUpstreamSchema('director');
    t.ok(connector && director, `both schemas load from ${dir}`);
    t.same(differences(connectorSchema(), connector!), [], 'Connector subset matches connector.graphql');
    t.same(differences(directorSchema(), director!), [], 'Director subset matches director-newest.graphql');
    t.ok(Object.keys(directorSchema().getTypeMap()).length > 30, 'the check covers the served Director types');
  },
);

t.test('the comparison notices a type mismatch', { skip: dir ? false : 'upstream compass-schemas folder not found' }, async (t) => {
  const { buildSchema } = await import('graphql');
  const broken = buildSchema('type Query { configuration: String } type Token { token: Int, extra: String }');
  t.same(differences(broken, loadUpstreamSchema('connector')!).sort(), [
    'Query.configuration is String here but Configuration! upstream',
    'Token.extra does not exist upstream',
    'Token.token is Int here but String! upstream',
  ]);
});

t.test(
  'validateOperation checks what clients send against upstream',
  { skip: dir ? false : 'upstream compass-schemas folder not found' },
  async (t) => {
    t.same(validateOperation('connector', 'mutation { result: revokeCertificate }'), []);
    t.same(
      validateOperation(
        'director',
        'query { runtime(id: "x") { labels } applicationsForRuntime(runtimeID: "x") { totalCount pageInfo { endCursor } } }',
      ),
      [],
    );
    t.match(validateOperation('connector', 'query { configuration() }'), [/Syntax Error/]);
    t.match(validateOperation('director', '{ runtime(id: "x") { nope } }'), [/Cannot query field "nope"/]);
  },
);

t.test('the helper reports an absent schema folder as undefined', async (t) => {
  const previous = process.env.COMPASS_SCHEMAS_DIR;
  process.env.COMPASS_SCHEMAS_DIR = '/nonexistent/compass-schemas';
  t.teardown(() => {
    if (previous === undefined) delete process.env.COMPASS_SCHEMAS_DIR;
    else process.env.COMPASS_SCHEMAS_DIR = previous;
  });
  t.equal(upstreamSchemaDir(), undefined);
  t.equal(loadUpstreamSchema('director'), undefined);
  t.same(validateOperation('director', '{ nope }'), []);
});
