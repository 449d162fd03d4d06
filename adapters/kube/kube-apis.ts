// The calls of client-node's CoreV1Api and CustomObjectsApi that the agent makes, with the same
// names and parameter objects, answered as plain JSON through KubeRest.
import type { KubeRest, QueryValue } from './kube-rest.js';

export const MERGE_PATCH = 'application/merge-patch+json';

/** Collection query of a LIST. */
export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  _continue?: string;
}

export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const listQuery = (q: ListQuery): Record<string, QueryValue> => ({
  labelSelector: q.labelSelector,
  fieldSelector: q.fieldSelector,
  limit: q.limit,
  continue: q._continue,
});

const segment = encodeURIComponent;

interface NamespacedName {
  namespace: string;
  name: string;
}

export class CoreApi {
  constructor(private readonly rest: KubeRest) {}

  private secrets(namespace: string, name?: string): string {
    return `/api/v1/namespaces/${segment(namespace)}/secrets${name === undefined ? '' : `/${segment(name)}`}`;
  }

  readNamespacedSecret<T = unknown>({ namespace, name }: NamespacedName): Promise<T> {
    return this.rest.request({ method: 'GET', path: this.secrets(namespace, name) });
  }

  listNamespacedSecret<T = unknown>({ namespace, ...query }: { namespace: string } & ListQuery): Promise<KubeList<T>> {
    return this.rest.request({ method: 'GET', path: this.secrets(namespace), query: listQuery(query) });
  }

  createNamespacedSecret<T = unknown>({ namespace, body }: { namespace: string; body: unknown }): Promise<T> {
    return this.rest.request({ method: 'POST', path: this.secrets(namespace), body });
  }

  replaceNamespacedSecret<T = unknown>({ namespace, name, body }: NamespacedName & { body: unknown }): Promise<T> {
    return this.rest.request({ method: 'PUT', path: this.secrets(namespace, name), body });
  }

  /** `body`: DeleteOptions, e.g. `{ preconditions: { uid, resourceVersion } }`. */
  deleteNamespacedSecret({ namespace, name, body }: NamespacedName & { body?: unknown }): Promise<unknown> {
    return this.rest.request({ method: 'DELETE', path: this.secrets(namespace, name), ...(body === undefined ? {} : { body }) });
  }
}

interface ClusterCollection {
  group: string;
  version: string;
  plural: string;
}

type ClusterObject = ClusterCollection & { name: string };

export class CustomObjectsApi {
  constructor(private readonly rest: KubeRest) {}

  private path({ group, version, plural }: ClusterCollection, name?: string, subresource?: string): string {
    const object = name === undefined ? '' : `/${segment(name)}${subresource ? `/${subresource}` : ''}`;
    return `/apis/${segment(group)}/${segment(version)}/${segment(plural)}${object}`;
  }

  getClusterCustomObject<T = unknown>(o: ClusterObject): Promise<T> {
    return this.rest.request({ method: 'GET', path: this.path(o, o.name) });
  }

  listClusterCustomObject<T = unknown>(o: ClusterCollection & ListQuery): Promise<KubeList<T>> {
    return this.rest.request({ method: 'GET', path: this.path(o), query: listQuery(o) });
  }

  createClusterCustomObject<T = unknown>(o: ClusterCollection & { body: unknown }): Promise<T> {
    return this.rest.request({ method: 'POST', path: this.path(o), body: o.body });
  }

  replaceClusterCustomObject<T = unknown>(o: ClusterObject & { body: unknown }): Promise<T> {
    return this.rest.request({ method: 'PUT', path: this.path(o, o.name), body: o.body });
  }

  /** A JSON merge patch (RFC 7386) of the object. */
  patchClusterCustomObject<T = unknown>(o: ClusterObject & { body: unknown }): Promise<T> {
    return this.rest.request({ method: 'PATCH', path: this.path(o, o.name), body: o.body, contentType: MERGE_PATCH });
  }

  /** A JSON merge patch of the object's status subresource. */
  patchClusterCustomObjectStatus<T = unknown>(o: ClusterObject & { body: unknown }): Promise<T> {
    return this.rest.request({ method: 'PATCH', path: this.path(o, o.name, 'status'), body: o.body, contentType: MERGE_PATCH });
  }

  deleteClusterCustomObject(o: ClusterObject): Promise<unknown> {
    return this.rest.request({ method: 'DELETE', path: this.path(o, o.name) });
  }
}
