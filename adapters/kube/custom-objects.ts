// Cluster-scoped custom resources: their coordinates, collection path and
// the paged LIST that watch-stream needs.
import type { KubeClient } from './kube-client.js';
import { kubeCall } from './kube-client.js';
import type { ListFunction } from './watch-stream.js';

export interface ClusterResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const apiVersionOf = (resource: ClusterResource): string => `${resource.group}/${resource.version}`;

export const collectionPath = (resource: ClusterResource): string => `/apis/${resource.group}/${resource.version}/${resource.plural}`;

export function clusterObjectLister<T>(client: KubeClient, resource: ClusterResource): ListFunction<T> {
  return async (query) => {
    const list = (await kubeCall(`list ${resource.plural}.${resource.group}`, () =>
      client.customObjects.listClusterCustomObject({
        group: resource.group,
        version: resource.version,
        plural: resource.plural,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        limit: query.limit,
        _continue: query.continue,
      }),
    )) as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
    return {
      items: list.items ?? [],
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continue: list.metadata?.continue,
    };
  };
}
