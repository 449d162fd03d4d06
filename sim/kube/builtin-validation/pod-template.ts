// A Deployment's pod template: the defaults core/v1 gives a PodTemplateSpec (SetDefaults_PodSpec,
// _Container, _ContainerPort, _Probe, _HTTPGetAction, _ObjectFieldSelector) and the part of
// ValidatePodTemplateSpec that catches real manifest mistakes: containers, names, images, ports,
// policies, the service account name, template labels and annotations. Volumes, resources,
// security contexts and probes beyond their ports are not checked here.
import { fieldError, type FieldError } from '../field-errors.js';
import { annotationErrors, labelErrors } from '../metadata-validation.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from '../validation-strings.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'];

/** The image's tag is "latest" or absent (and no digest): imagePullPolicy defaults to Always. */
function pullsAlways(image: string): boolean {
  if (image.includes('@')) return false;
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  if (lastColon <= lastSlash) return true;
  return image.slice(lastColon + 1) === 'latest';
}

function defaultProbe(probe: any): void {
  if (!isObject(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isObject(probe.httpGet)) {
    if (!probe.httpGet.path) probe.httpGet.path = '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(container: any): void {
  if (!isObject(container)) return;
  // An image that does not parse (empty) has no tag: IfNotPresent, as ParseImageName's error is ignored.
  if (!container.imagePullPolicy)
    container.imagePullPolicy =
      typeof container.image === 'string' && container.image !== '' && pullsAlways(container.image) ? 'Always' : 'IfNotPresent';
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  if (Array.isArray(container.ports)) for (const port of container.ports) if (isObject(port) && !port.protocol) port.protocol = 'TCP';
  if (Array.isArray(container.env)) {
    for (const env of container.env) {
      const ref = env?.valueFrom?.fieldRef;
      if (isObject(ref) && !ref.apiVersion) ref.apiVersion = 'v1';
    }
  }
  for (const probe of PROBES) defaultProbe(container[probe]);
}

/** Mutates `template` (a fresh copy the caller owns) with the pod-spec defaults. */
export function defaultPodTemplate(template: any): void {
  if (!isObject(template)) return;
  if (!isObject(template.spec)) return;
  const spec = template.spec;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const list of ['initContainers', 'containers']) {
    if (Array.isArray(spec[list])) for (const container of spec[list]) defaultContainer(container);
  }
}

function containerErrors(containers: unknown, path: string, names: Set<string>, required: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(containers) || containers.length === 0) {
    if (required) errs.push(fieldError.required(path, ''));
    return errs;
  }
  containers.forEach((raw, i) => {
    const c = isObject(raw) ? raw : {};
    const at = `${path}[${i}]`;
    const name = typeof c.name === 'string' ? c.name : '';
    if (name === '') errs.push(fieldError.required(`${at}.name`, ''));
    else for (const msg of isDNS1123Label(name)) errs.push(fieldError.invalid(`${at}.name`, name, msg));
    if (name !== '') {
      if (names.has(name)) errs.push(fieldError.duplicate(`${at}.name`, name));
      else names.add(name);
    }
    // Whitespace is a valid image here ("image: ' '" is a token some tools use in templates).
    if (typeof c.image !== 'string' || c.image === '') errs.push(fieldError.required(`${at}.image`, ''));
    errs.push(...containerPortErrors(c.ports, `${at}.ports`));
    for (const probe of PROBES) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (port === undefined) continue;
      const portPath = `${at}.${probe}.${c[probe]?.httpGet ? 'httpGet' : 'tcpSocket'}.port`;
      if (typeof port === 'number') for (const msg of isValidPortNum(port)) errs.push(fieldError.invalid(portPath, port, msg));
      else for (const msg of isValidPortName(String(port))) errs.push(fieldError.invalid(portPath, String(port), msg));
    }
    if (c.imagePullPolicy === undefined || c.imagePullPolicy === '') errs.push(fieldError.required(`${at}.imagePullPolicy`, ''));
    else if (!PULL_POLICIES.includes(c.imagePullPolicy))
      errs.push(fieldError.notSupported(`${at}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  });
  return errs;
}

/** validateContainerPorts: names are IANA service names unique in the container, ports in range, a known protocol. */
function containerPortErrors(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(ports)) return errs;
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const port = isObject(raw) ? raw : {};
    const at = `${path}[${i}]`;
    if (typeof port.name === 'string' && port.name !== '') {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) for (const msg of msgs) errs.push(fieldError.invalid(`${at}.name`, port.name, msg));
      else if (names.has(port.name)) errs.push(fieldError.duplicate(`${at}.name`, port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(fieldError.required(`${at}.containerPort`, ''));
    else
      for (const msg of isValidPortNum(port.containerPort)) errs.push(fieldError.invalid(`${at}.containerPort`, port.containerPort, msg));
    if (port.hostPort) for (const msg of isValidPortNum(port.hostPort)) errs.push(fieldError.invalid(`${at}.hostPort`, port.hostPort, msg));
    if (!port.protocol) errs.push(fieldError.required(`${at}.protocol`, ''));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(fieldError.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS));
  });
  return errs;
}

/** ValidatePodTemplateSpec for a workload template (path `spec.template`), defaults applied first. */
export function podTemplateErrors(template: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const meta = isObject(template?.metadata) ? template.metadata : {};
  // The template's labels and annotations are reported at `<path>.labels`, not `<path>.metadata.labels`.
  errs.push(...labelErrors(meta.labels, `${path}.labels`));
  errs.push(...annotationErrors(meta.annotations, `${path}.annotations`));
  const spec = isObject(template?.spec) ? template.spec : {};
  const specPath = `${path}.spec`;
  const names = new Set<string>();
  errs.push(...containerErrors(spec.containers, `${specPath}.containers`, names, true));
  errs.push(...containerErrors(spec.initContainers, `${specPath}.initContainers`, names, false));
  if (!spec.restartPolicy) errs.push(fieldError.required(`${specPath}.restartPolicy`, ''));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy))
    errs.push(fieldError.notSupported(`${specPath}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  if (!spec.dnsPolicy) errs.push(fieldError.required(`${specPath}.dnsPolicy`, ''));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy))
    errs.push(fieldError.notSupported(`${specPath}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') {
    for (const msg of isDNS1123Subdomain(spec.serviceAccountName))
      errs.push(fieldError.invalid(`${specPath}.serviceAccountName`, spec.serviceAccountName, msg));
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    errs.push(
      fieldError.invalid(
        `${specPath}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  return errs;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
