// What the CompassConnection's watch tells the machine (src/agent/connection-cr-observation.ts).
import t from 'tap';
import { sameConnectionCrForTheMachine } from '../../src/agent/connection-cr-observation.js';
import type { CompassConnectionObject } from '../../adapters/kube/compass-connection-store.js';
import { CONSUMED_TOKEN_ANNOTATION } from '../../src/status-projection.js';

const cr: CompassConnectionObject = {
  apiVersion: 'compass.kyma-project.io/v1alpha1',
  kind: 'CompassConnection',
  metadata: {
    name: 'compass-connection',
    uid: 'u-1',
    generation: 2,
    resourceVersion: '10',
    annotations: { [CONSUMED_TOKEN_ANNOTATION]: 'f1' },
  },
  spec: { managementInfo: { connectorUrl: 'https://connector.example/graphql', directorUrl: 'https://director.example/graphql' } },
  status: { connectionState: 'Synchronized', connectionStatus: { lastSync: '2026-12-02T10:00:00Z' } },
};
const edited = (change: (copy: CompassConnectionObject) => void): CompassConnectionObject => {
  const copy = structuredClone(cr);
  change(copy);
  return copy;
};

t.test('the echo of a status write is nothing new: another resourceVersion and status, the rest as it was', async (t) => {
  const echo = edited((c) => {
    c.metadata.resourceVersion = '11';
    c.status = { connectionState: 'Synchronized', connectionStatus: { lastSync: '2026-12-02T10:00:02Z' } };
  });
  t.ok(sameConnectionCrForTheMachine(cr, echo));
  t.ok(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => delete c.status),
    ),
    'a status removed',
  );
  t.ok(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.metadata.labels = { team: 'a' })),
    ),
    'a label, which the machine does not record',
  );
});

t.test('what the machine records is new: generation, spec, the consumed-token annotation, another CR, a deletion', async (t) => {
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.metadata.generation = 3)),
    ),
    'generation',
  );
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.spec.resyncNow = true)),
    ),
    'resyncNow',
  );
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.spec.refreshCredentialsNow = true)),
    ),
    'refreshCredentialsNow',
  );
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.spec.managementInfo.directorUrl = 'https://other.example/graphql')),
    ),
    'the management info in the spec',
  );
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.metadata.annotations = { [CONSUMED_TOKEN_ANNOTATION]: 'f2' })),
    ),
    'the consumed-token fingerprint',
  );
  t.notOk(
    sameConnectionCrForTheMachine(
      cr,
      edited((c) => (c.metadata.uid = 'u-2')),
    ),
    'the CR deleted and created again',
  );
  t.notOk(sameConnectionCrForTheMachine(cr, null), 'deleted');
  t.notOk(sameConnectionCrForTheMachine(null, cr), 'created');
  t.ok(sameConnectionCrForTheMachine(null, null), 'still absent');
});
