// Default map sizes of a tracer, per network namespace. Kernel memory per
// namespace, measured (the maps' memlock): 112 bytes a flow (LRU hash), 288 bytes an
// edge (slot, id map): 3.0 MB with these defaults.
export const DEFAULT_MAX_EDGES = 4096;
export const DEFAULT_MAX_FLOWS = 16384;
