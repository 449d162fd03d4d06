// What a value of type unknown is: a caught value (an Error as a rule, but a library may throw anything) or parsed
// JSON. These read its fields by checking them rather than by a cast.

/** The message of a thrown value: its string `message` (an Error's, or any object's that has one), else its string form. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}

/** The `code` of a thrown value that carries a string one (Node.js system errors: ENOENT, EADDRINUSE, ECONNRESET, ...). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** A non-null object other than an array: its properties can be read as `unknown` and checked one by one. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
