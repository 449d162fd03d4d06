// Services: what the API server's defaulting and the service registry do on write (SetDefaults_Service,
// ClusterIP allocation from the default 10.96.0.0/12 range, keeping the allocated IP when an update
// leaves it out) and the checks of ValidateService / ValidateServiceUpdate that catch real mistakes.
import { fieldError, type FieldError } from '../field-errors.js';
import { goStringSlice, invalidGo } from '../go-values.js';
import { labelErrors } from '../metadata-validation.js';
import type { KubeObject } from '../object-rules.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from '../validation-strings.js';

const SERVICE_CIDR = '10.96.0.0/12';
const CIDR_BASE = (10 << 24) | (96 << 16);
const CIDR_SIZE = 1 << 20;
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function isIp(text: string): boolean {
  return ipv4(text) !== undefined || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text));
}

function needsClusterIP(svc: any): boolean {
  return (svc?.spec?.type ?? 'ClusterIP') !== 'ExternalName';
}

/** A free-looking address of the range: not the network address, not .1 (the kubernetes Service), not the broadcast. */
function allocate(): string {
  const offset = 2 + Math.floor(Math.random() * (CIDR_SIZE - 3));
  const ip = (CIDR_BASE + offset) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** Defaults and allocation. `obj.spec` is replaced by a copy first: the caller's object may share it with stored state. */
export function prepareService(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (typeof obj.spec !== 'object' || obj.spec === null) obj.spec = {};
  obj.spec = structuredClone(obj.spec);
  const spec = obj.spec;
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  if (Array.isArray(spec.ports)) {
    for (const port of spec.ports) {
      if (typeof port !== 'object' || port === null) continue;
      port.protocol ||= 'TCP';
      if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
    }
  }
  if (spec.type === 'ExternalName') return [];
  spec.internalTrafficPolicy ||= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ||= 'Cluster';
  if (old && needsClusterIP(old)) {
    // normalizeClusterIPs / patchAllocatedValues: an update that leaves the IPs out keeps them; one that
    // changes clusterIP alone changes clusterIPs with it (and then fails validation).
    const sameIps = JSON.stringify(spec.clusterIPs ?? null) === JSON.stringify(old.spec?.clusterIPs ?? null);
    if (spec.clusterIP && spec.clusterIP !== old.spec?.clusterIP && sameIps) spec.clusterIPs = [spec.clusterIP];
    if (!spec.clusterIP && old.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if ((!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) && Array.isArray(old.spec?.clusterIPs))
      spec.clusterIPs = [...old.spec.clusterIPs];
    spec.ipFamilies ??= old.spec?.ipFamilies;
    spec.ipFamilyPolicy ??= old.spec?.ipFamilyPolicy;
    return [];
  }
  if (!spec.clusterIP) {
    spec.clusterIP = allocate();
  } else if (spec.clusterIP !== 'None') {
    // IPv6 and unparseable addresses are left to the validation (this cluster is IPv4 single-stack).
    const ip = ipv4(spec.clusterIP);
    if (ip !== undefined && (ip - CIDR_BASE) >>> 0 >= CIDR_SIZE) {
      return [
        invalidGo(
          'spec.clusterIPs',
          goStringSlice([spec.clusterIP]),
          `failed to allocate IP ${spec.clusterIP}: provided IP is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`,
        ),
      ];
    }
  }
  if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  return [];
}

function portErrors(port: any, index: number, requireName: boolean, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const at = `spec.ports[${index}]`;
  const name = typeof port?.name === 'string' ? port.name : '';
  if (requireName && name === '') errs.push(fieldError.required(`${at}.name`, ''));
  else if (name !== '') {
    for (const msg of isDNS1123Label(name)) errs.push(fieldError.invalid(`${at}.name`, name, msg));
    if (names.has(name)) errs.push(fieldError.duplicate(`${at}.name`, name));
    else names.add(name);
  }
  for (const msg of isValidPortNum(port?.port)) errs.push(fieldError.invalid(`${at}.port`, port?.port ?? 0, msg));
  if (!port?.protocol) errs.push(fieldError.required(`${at}.protocol`, ''));
  else if (!PROTOCOLS.includes(port.protocol)) errs.push(fieldError.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS));
  const target = port?.targetPort;
  if (typeof target === 'number') for (const msg of isValidPortNum(target)) errs.push(fieldError.invalid(`${at}.targetPort`, target, msg));
  else if (typeof target === 'string')
    for (const msg of isValidPortName(target)) errs.push(fieldError.invalid(`${at}.targetPort`, target, msg));
  return errs;
}

/** ValidateService (the spec part); with `old`, ValidateServiceUpdate's ClusterIP rule first. */
export function serviceErrors(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  if (old && needsClusterIP(obj) && needsClusterIP(old) && !(spec.clusterIP === 'None' && old.spec?.clusterIP === 'None')) {
    const before: string[] = Array.isArray(old.spec?.clusterIPs) ? old.spec.clusterIPs : [];
    const after: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (before.length === after.length) {
      before.forEach((ip, i) => {
        if (ip !== after[i]) errs.push(invalidGo(`spec.clusterIPs[${i}]`, goStringSlice(after), 'may not change once set'));
      });
    } else if (after.length === 0) {
      errs.push(invalidGo('spec.clusterIPs[0]', goStringSlice(after), 'primary clusterIP can not be unset'));
    }
  }
  const headless = spec.clusterIP === 'None';
  const ports: unknown[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(fieldError.required('spec.ports', ''));
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP) errs.push(fieldError.forbidden('spec.clusterIP', 'must be empty for ExternalName services'));
    if (spec.externalName)
      for (const msg of isDNS1123Subdomain(String(spec.externalName)))
        errs.push(fieldError.invalid('spec.externalName', String(spec.externalName), msg));
    else errs.push(fieldError.required('spec.externalName', ''));
  } else if (headless && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
    errs.push(fieldError.invalid('spec.clusterIP', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => errs.push(...portErrors(port, i, ports.length > 1, names)));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...labelErrors(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(fieldError.required('spec.sessionAffinity', ''));
  else if (!AFFINITIES.includes(spec.sessionAffinity))
    errs.push(fieldError.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES));
  if (Array.isArray(spec.clusterIPs)) {
    if (spec.clusterIPs.length > 0 && spec.clusterIP !== spec.clusterIPs[0])
      errs.push(invalidGo('spec.clusterIPs', goStringSlice(spec.clusterIPs), 'first value must match `clusterIP`'));
    spec.clusterIPs.forEach((ip: unknown, i: number) => {
      if (ip === 'None' || isIp(String(ip))) return;
      errs.push(fieldError.invalid(`spec.clusterIPs[${i}]`, String(ip), 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    });
  }
  if (!spec.type) errs.push(fieldError.required('spec.type', ''));
  else if (!TYPES.includes(spec.type)) errs.push(fieldError.notSupported('spec.type', spec.type, TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((port: any, i) => {
      if (port?.nodePort) errs.push(fieldError.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  return errs;
}
