// Access to the upstream Compass GraphQL schemas (the contract) for tests. The files live outside
// the project (../shared/spec/compass-schemas or $COMPASS_SCHEMAS_DIR); tests skip when absent,
// unless upstream-files.ts says they are required (then they fail).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate, GraphQLError, type GraphQLSchema } from 'graphql';
import { upstreamSchemaDir } from './upstream-files.js';

export { upstreamSchemaDir };

const files = { connector: 'connector.graphql', director: 'director-newest.graphql' } as const;
const cache = new Map<string, GraphQLSchema>();

/** The upstream schema, or undefined when the schema folder is not available. */
export function loadUpstreamSchema(kind: 'connector' | 'director'): GraphQLSchema | undefined {
  const dir = upstreamSchemaDir();
  if (!dir) return undefined;
  const path = join(dir, files[kind]);
  if (!existsSync(path)) return undefined;
  const cached = cache.get(path);
  if (cached) return cached;
  const sdl = readFileSync(path, 'utf8');
  // Declare any directive the file uses but does not define, so buildSchema accepts it unchanged.
  const defined = new Set([...sdl.matchAll(/^\s*directive\s+@(\w+)/gm)].map((m) => m[1]));
  const used = new Set([...sdl.matchAll(/@(\w+)/g)].map((m) => m[1]));
  const builtIn = new Set(['deprecated', 'skip', 'include', 'specifiedBy']);
  const extra = [...used]
    .filter((name) => !defined.has(name) && !builtIn.has(name))
    .map(
      (name) =>
        `directive @${name}(path: String, applicationProvider: String, idField: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION | OBJECT | ENUM_VALUE`,
    )
    .join('\n');
  const schema = buildSchema(`${extra}\n${sdl}`, { assumeValidSDL: false });
  cache.set(path, schema);
  return schema;
}

/** Error messages of `operationText` against the upstream schema; [] when valid or when the schema is absent. */
export function validateOperation(kind: 'connector' | 'director', operationText: string): string[] {
  const schema = loadUpstreamSchema(kind);
  if (!schema) return [];
  try {
    return validate(schema, parse(operationText)).map((error) => error.message);
  } catch (error) {
    return [error instanceof GraphQLError ? error.message : String(error)];
  }
}
