// What the CompassConnection's watch tells the machine. Of a CR the machine records its generation,
// spec and consumed-token annotation (compass-effects.ts, observedCr); every status write of the agent
// comes back through the watch with a new resourceVersion and the status it wrote, and leaves those as
// they were. Such a delivery is not an event: one reaches the machine only when what it records
// differs, or the CR was replaced (another uid) or deleted. The echo's machine step was about a sixth
// of an idle cycle's CPU. The status in the machine's record is then the one of the last delivery: the
// machine reads a status only from the CR its start-up loads (the restored state, the conditions'
// transition times), which is read afresh, and the agent's writes are preconditioned on the
// resourceVersion of the last one (adapters/kube/compass-connection-store.ts), not on this record.
import type { CompassConnectionObject } from '../../adapters/kube/compass-connection-store.js';
import { observedCr } from './compass-effects.js';

/** The CR as the machine records it, with its uid; without the status and resourceVersion. */
function machineView(object: CompassConnectionObject): string {
  const { status, resourceVersion, ...recorded } = observedCr(object)!;
  return JSON.stringify([object.metadata.uid ?? null, recorded]);
}

/** Whether delivery `b` tells the machine nothing `a` did not: the same CR, generation, spec and annotation. */
export function sameConnectionCrForTheMachine(a: CompassConnectionObject | null, b: CompassConnectionObject | null): boolean {
  if (a === null || b === null) return a === b;
  return machineView(a) === machineView(b);
}
