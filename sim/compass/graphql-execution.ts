// GraphQL execution for the simulated surfaces. Resolvers are attached to the schema per type and
// field (the caller's identity and the store travel in the context), and each distinct document is
// parsed, validated and compiled (graphql-jit) once per schema and operation, then reused: a 10,000
// application synchronization sends the same few documents hundreds of times.
import {
  GraphQLError,
  GraphQLObjectType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

export type Resolver<C> = (source: any, args: any, context: C) => unknown;
export type Resolvers<C> = Record<string, Record<string, Resolver<C>>>;

/** Attaches `resolvers` to the fields of `schema` (a schema built for this purpose); throws on a name the schema lacks. */
export function attachResolvers<C>(schema: GraphQLSchema, resolvers: Resolvers<C>): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) throw new Error(`resolvers for ${typeName}, which is not an object type of the schema`);
    const schemaFields = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = schemaFields[fieldName];
      if (!field) throw new Error(`resolver for ${typeName}.${fieldName}, which the schema lacks`);
      field.resolve = resolve;
    }
  }
  return schema;
}

export interface RootField {
  name: string;
  /** The response key (alias or name). */
  key: string;
}

export interface PreparedDocument {
  /** Root fields of the selected operation, in document order. */
  fields: RootField[];
  /** Validation errors; a document with any is never executed. */
  validationErrors: readonly GraphQLError[];
  execute(context: unknown, variables: Record<string, unknown> | undefined): Promise<ExecutionResult>;
}

/** Root fields of the selected operation: their names and their response keys (aliases). */
function rootFields(document: DocumentNode, operationName: string | undefined): RootField[] {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return [];
  return operation.selectionSet.selections.flatMap((selection) =>
    selection.kind === Kind.FIELD ? [{ name: selection.name.value, key: selection.alias?.value ?? selection.name.value }] : [],
  );
}

function prepare(schema: GraphQLSchema, query: string, operationName: string | undefined): PreparedDocument {
  const document = parse(query);
  const validationErrors = validate(schema, document);
  let compiled: CompiledQuery | ExecutionResult | undefined;
  return {
    fields: rootFields(document, operationName),
    validationErrors,
    async execute(context, variables) {
      if (validationErrors.length > 0) throw new Error('an invalid document cannot be executed');
      // An operation that cannot be selected compiles to its errors, as graphql-js would answer.
      compiled ??= compileQuery(schema, document, operationName);
      return isCompiledQuery(compiled) ? await compiled.query(undefined, context, variables ?? {}) : compiled;
    },
  };
}

/** Parsed, validated and compiled documents, per schema; the least recently used go beyond `limit`. */
export class DocumentCache {
  private readonly bySchema = new WeakMap<GraphQLSchema, Map<string, PreparedDocument>>();

  constructor(private readonly limit = 100) {}

  /** Throws the GraphQLError of a document that does not parse (never cached). */
  get(schema: GraphQLSchema, query: string, operationName: string | undefined): PreparedDocument {
    let documents = this.bySchema.get(schema);
    if (!documents) this.bySchema.set(schema, (documents = new Map()));
    const key = `${operationName ?? ''}\n${query}`;
    let prepared = documents.get(key);
    if (prepared) documents.delete(key);
    else prepared = prepare(schema, query, operationName);
    documents.set(key, prepared);
    if (documents.size > this.limit) documents.delete(documents.keys().next().value!);
    return prepared;
  }
}
