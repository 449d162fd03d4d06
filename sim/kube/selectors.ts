// Label and field selectors, parsed the way the apiserver does (labels.Parse / fields.ParseSelector).
import { badRequest } from './status-error.js';

export type LabelRequirement = { key: string; op: 'exists' | 'notexists' } | { key: string; op: 'in' | 'notin'; values: string[] };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key) || key.length > 317) {
    throw badRequest(
      `unable to parse requirement: invalid label key "${key}" in selector "${selector}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
    );
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw badRequest(
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}": must be 63 characters or less and consist of alphanumeric characters, '-', '_' or '.'`,
    );
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string, selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) throw badRequest(`unable to parse requirement: unexpected ")" in selector "${selector}"`);
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw badRequest(`unable to parse requirement: unclosed "(" in selector "${selector}"`);
  parts.push(text.slice(start));
  return parts;
}

export function parseLabelSelector(selector: string | undefined | null): LabelRequirement[] {
  if (!selector || selector.trim() === '') return [];
  const requirements: LabelRequirement[] = [];
  for (const raw of splitTopLevel(selector, selector)) {
    const part = raw.trim();
    if (part === '') throw badRequest(`unable to parse requirement: found '', expected: identifier in selector "${selector}"`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*([^\s=!(),]+)$/))) {
      requirements.push({ key: checkKey(m[1], selector), op: 'notexists' });
    } else if ((m = part.match(/^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3].split(',').map((v) => checkValue(v.trim(), selector));
      requirements.push({ key: checkKey(m[1], selector), op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/))) {
      const value = checkValue(m[3], selector);
      requirements.push({ key: checkKey(m[1], selector), op: m[2] === '!=' ? 'notin' : 'in', values: [value] });
    } else if ((m = part.match(/^([^\s=!(),]+)$/))) {
      requirements.push({ key: checkKey(m[1], selector), op: 'exists' });
    } else {
      throw badRequest(`unable to parse requirement: couldn't parse the selector string "${selector}"`);
    }
  }
  return requirements;
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of requirements) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(labels[r.key])) return false;
        break;
      case 'notin':
        if (has && r.values.includes(labels[r.key])) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  /** metadata.name, metadata.namespace, or a field label of the kind (Events: involvedObject.name, ...), as stored. */
  field: string;
  equal: boolean;
  value: string;
}

/**
 * Every kind supports metadata.name and metadata.namespace; a kind may support more (`fieldLabel`
 * maps a label to the stored field it reads, Events' involvedObject.* for instance), others are a 400.
 */
export function parseFieldSelector(
  selector: string | undefined | null,
  fieldLabel: (label: string) => string | undefined = () => undefined,
): FieldRequirement[] {
  if (!selector || selector.trim() === '') return [];
  const requirements: FieldRequirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const label = m[1].trim();
    const field = label === 'metadata.name' || label === 'metadata.namespace' ? label : fieldLabel(label);
    if (field === undefined) {
      throw badRequest(`field label not supported: ${label}`);
    }
    requirements.push({ field, equal: m[2] !== '!=', value: m[3].trim() });
  }
  return requirements;
}

export function matchesFields(
  requirements: FieldRequirement[],
  obj: { metadata: { name?: string; namespace?: string } },
  value: (field: string, obj: any) => string = () => '',
): boolean {
  for (const r of requirements) {
    const actual =
      r.field === 'metadata.name'
        ? (obj.metadata.name ?? '')
        : r.field === 'metadata.namespace'
          ? (obj.metadata.namespace ?? '')
          : value(r.field, obj);
    if ((actual === r.value) !== r.equal) return false;
  }
  return true;
}
