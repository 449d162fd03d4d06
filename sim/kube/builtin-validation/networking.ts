// NetworkPolicies (networking/v1 defaults, pkg/apis/networking/validation ValidateNetworkPolicySpec).
import { fieldError, type FieldError } from '../field-errors.js';
import type { KubeObject } from '../object-rules.js';
import { isValidPortName, isValidPortNum } from '../validation-strings.js';
import { labelSelectorErrors } from './label-selector.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

/** SetDefaults_NetworkPolicyPort (TCP) and SetDefaults_NetworkPolicy (policyTypes from the rules), on a copy. */
export function defaultNetworkPolicy(obj: KubeObject): void {
  if (typeof obj.spec !== 'object' || obj.spec === null) return;
  obj.spec = structuredClone(obj.spec);
  const spec = obj.spec;
  for (const rules of [spec.ingress, spec.egress]) {
    if (!Array.isArray(rules)) continue;
    for (const rule of rules)
      for (const port of Array.isArray(rule?.ports) ? rule.ports : []) if (port && !port.protocol) port.protocol = 'TCP';
  }
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function portErrors(port: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port?.protocol && !PROTOCOLS.includes(port.protocol))
    errs.push(fieldError.notSupported(`${path}.protocol`, port.protocol, PROTOCOLS));
  if (port?.port !== undefined && port?.port !== null) {
    if (typeof port.port === 'number') {
      for (const msg of isValidPortNum(port.port)) errs.push(fieldError.invalid(`${path}.port`, port.port, msg));
      if (typeof port.endPort === 'number') {
        if (port.endPort < port.port)
          errs.push(fieldError.invalid(`${path}.endPort`, port.port, 'must be greater than or equal to `port`'));
        for (const msg of isValidPortNum(port.endPort)) errs.push(fieldError.invalid(`${path}.endPort`, port.endPort, msg));
      }
    } else {
      if (typeof port.endPort === 'number')
        errs.push(fieldError.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
      for (const msg of isValidPortName(String(port.port))) errs.push(fieldError.invalid(`${path}.port`, String(port.port), msg));
    }
  } else if (typeof port?.endPort === 'number') {
    errs.push(fieldError.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function peerErrors(peer: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (peer?.podSelector) {
    peers++;
    errs.push(...labelSelectorErrors(peer.podSelector, `${path}.podSelector`));
  }
  if (peer?.namespaceSelector) {
    peers++;
    errs.push(...labelSelectorErrors(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer?.ipBlock) {
    peers++;
    if (!peer.ipBlock.cidr) errs.push(fieldError.required(`${path}.ipBlock.cidr`, ''));
  }
  if (peers === 0) errs.push(fieldError.required(path, 'must specify a peer'));
  else if (peers > 1 && peer?.ipBlock) errs.push(fieldError.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function networkPolicyErrors(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  errs.push(...labelSelectorErrors(spec.podSelector ?? {}, 'spec.podSelector'));
  for (const [key, peersKey] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    const rules: any[] = Array.isArray(spec[key]) ? spec[key] : [];
    rules.forEach((rule, i) => {
      const path = `spec.${key}[${i}]`;
      (Array.isArray(rule?.ports) ? rule.ports : []).forEach((port: any, j: number) =>
        errs.push(...portErrors(port, `${path}.ports[${j}]`)),
      );
      (Array.isArray(rule?.[peersKey]) ? rule[peersKey] : []).forEach((peer: any, j: number) =>
        errs.push(...peerErrors(peer, `${path}.${peersKey}[${j}]`)),
      );
    });
  }
  const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  if (types.length > POLICY_TYPES.length) {
    errs.push(fieldError.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(String(t))) errs.push(fieldError.notSupported(`spec.policyTypes[${i}]`, String(t), POLICY_TYPES));
  });
  return errs;
}
