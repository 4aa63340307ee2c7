// The agent's data plane on this host: pods' network namespaces found by their
// sandboxes, one tracer per namespace (gadget/dataplane), and the connections open now.
// The agent runs it, and the benchmarks use the same one, so they measure what the agent runs.

import { nodeDnsDrops, nodeMapMemory } from '../dataplane/node-object.js';
import { podNetnsFinder, type SandboxSource } from '../dataplane/pod-netns.js';
import { openConnections, openTracers, type Tracer } from '../dataplane/tracer.js';
import type { DataPlane, PodTracer } from './agent.js';

export interface HostDataPlaneOptions {
  maxEdges?: number;
  maxFlows?: number;
  /** Hand the DNS answers pods receive to their tracers (default true, as the agent runs). */
  dnsCapture?: boolean;
  /** Wraps each tracer opened (the agent's self-metrics). */
  measure?: (t: Tracer) => PodTracer;
  /** The container runtime, asked for pods' sandboxes besides their cgroups. */
  runtime?: SandboxSource;
}

export function hostDataPlane({
  measure,
  runtime,
  dnsCapture = true,
  ...sizes
}: HostDataPlaneOptions = {}): DataPlane {
  return {
    findPodNetns: podNetnsFinder(runtime),
    openTracers: async (paths, attach) => {
      const tracers = await openTracers(paths, { ...sizes, attach, dnsCapture });
      return measure ? tracers.map((t) => (t instanceof Error ? t : measure(t))) : tracers;
    },
    openConnections,
    mapMemory: nodeMapMemory,
    dnsDrops: nodeDnsDrops,
  };
}
