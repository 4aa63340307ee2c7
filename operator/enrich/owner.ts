// Whose pod it is, from ownerReferences rather than guessed from the pod's name
// (Inspektor Gadget cut the name at its last dashes). The walk follows controller
// references up through the objects the operator caches, ReplicaSets and Jobs,
// because they are the only owners whose own owner is not named on the pod:
// Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob. StatefulSets,
// DaemonSets and anything else are named directly and end the walk. When the
// next object is not cached (not listed yet, or deleted), the walk stops at the
// last owner it knows for sure.
import type { ControllerRecord, Owner, OwnerRef, PodRecord } from './records.js';

/** The kinds the walk can step through, by the API group that must go with them. */
export type StepKind = 'ReplicaSet' | 'Job';
const STEP_GROUPS: Readonly<Record<StepKind, string>> = { ReplicaSet: 'apps', Job: 'batch' };

export interface ControllerLookup {
  controller(kind: StepKind, namespace: string, name: string): ControllerRecord | undefined;
}

/** Owner chains are two or three long; the bound only guards against a cycle. */
const MAX_STEPS = 8;

function stepKind(ref: OwnerRef): StepKind | undefined {
  const kind = ref.kind as StepKind;
  const group = STEP_GROUPS[kind];
  // A same-named kind of another API group (a Volcano Job, say) is not a batch/v1 Job.
  return group !== undefined && ref.apiVersion.split('/')[0] === group ? kind : undefined;
}

/** The top known owner of pod; undefined for a pod without a controller. */
export function podOwner(pod: PodRecord, lookup: ControllerLookup): Owner | undefined {
  let ref = pod.controller;
  if (ref === undefined) return undefined;
  for (let i = 0; i < MAX_STEPS; i++) {
    const kind = stepKind(ref);
    if (kind === undefined) break;
    const obj = lookup.controller(kind, pod.namespace, ref.name);
    // A cached object of that name but another uid is a predecessor: the chain is broken.
    if (obj?.controller === undefined || obj.uid !== ref.uid) break;
    ref = obj.controller;
  }
  return { kind: ref.kind, name: ref.name };
}
