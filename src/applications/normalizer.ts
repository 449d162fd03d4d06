// Application-name normalisation, the same algorithm as the Compass Director's default normaliser:
// Director application names need not be DNS-1123 names, the `Application` CR name must be one.

import type { Labels } from '../../adapters/compass/director-types.js';

const NORMALIZED_PREFIX = 'mp-';
/** The runtime label telling that the Director already returns normalised names. */
export const IS_NORMALIZED_LABEL = 'isNormalized';

const ALREADY_NORMALIZED = /^mp-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Go's strings.ToLower: every code point by its simple lower-case mapping. JavaScript's toLowerCase
 * applies the full mapping, which differs for one code point only: U+0130 İ becomes "i" and U+0307
 * (a combining dot) there, "i" in Go.
 */
function goToLower(text: string): string {
  return text.replace(/\u0130/g, 'i').toLowerCase();
}

/** `mp-` prefix, lowercase (as Go does), every char outside [-a-z0-9] → `-`, runs of `-` collapsed, one trailing `-` dropped. */
export function normalizeApplicationName(name: string): string {
  if (ALREADY_NORMALIZED.test(name)) return name;
  const normalized = goToLower(NORMALIZED_PREFIX + name)
    .replace(/[^-a-z0-9]/g, '-')
    .replace(/-+/g, '-');
  return normalized.endsWith('-') ? normalized.slice(0, -1) : normalized;
}

/**
 * The agent normalises unless the runtime label `isNormalized` is exactly the string "true" (the
 * Director then normalises itself). Missing, "false" or any other value → normalise.
 */
export function shouldNormalizeNames(runtimeLabels: Labels | null | undefined): boolean {
  return runtimeLabels?.[IS_NORMALIZED_LABEL] !== 'true';
}

/** The Application CR name of a Director application: normalised when `normalize` (shouldNormalizeNames). */
export function applicationName(directorName: string, normalize: boolean): string {
  return normalize ? normalizeApplicationName(directorName) : directorName;
}
