// APP_QUERY_LOGGING: one debug line per GraphQL request to Compass (operation, redacted variables,
// duration, x-request-id, HTTP status, outcome). The lines are written at level debug even when
// APP_LOG_LEVEL is higher: turning the variable on is the request to see them. No headers are
// logged (the one-time token travels in the Connector-Token header), and the logger redacts again.
import type { Logger } from '../../adapters/logger.js';
import type { OperationRecord } from '../../adapters/compass/graphql-transport.js';

export const QUERY_LOG_MESSAGE = 'GraphQL operation';

/** The transport's onOperation for APP_QUERY_LOGGING, or undefined when it is off. */
export function queryLogging(enabled: boolean, logger: Logger): ((record: OperationRecord) => void) | undefined {
  if (!enabled || logger.level === 'silent') return undefined;
  const queries = logger.isLevelEnabled('debug') ? logger : logger.child({}, { level: 'debug' });
  return (record) => queries.debug({ graphql: record }, QUERY_LOG_MESSAGE);
}
