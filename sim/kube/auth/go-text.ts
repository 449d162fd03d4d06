// The two Go formatting rules the authorization messages depend on.

/** Go's %q (strconv.Quote) for the strings that reach messages: JSON quoting, with \x escapes for control bytes. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([01][0-9a-f])/g, (_match, hex: string) => (hex === '07' ? '\\a' : hex === '0b' ? '\\v' : `\\x${hex}`));
}

/** utilerrors.NewAggregate(errs).Error(): one message as it is, several (duplicates dropped) as `[a, b]`. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0];
  return `[${unique.join(', ')}]`;
}
