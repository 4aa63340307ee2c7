// Default map sizes of the node's BPF object, shared by every traced pod. Kernel
// memory, measured (the maps' memlock): 112 bytes a flow (LRU hash), 296 bytes an
// edge (its slot, its id-map entry, its place in the free ring): 24 MB with these
// defaults, however many pods are traced.
export const DEFAULT_MAX_EDGES = 32768;

/** Flows remembered for a table of `maxEdges`: a pod's connections outnumber its distinct peers. */
export const flowsFor = (maxEdges: number): number => 4 * maxEdges;
