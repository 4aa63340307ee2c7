// Default map sizes of a tracer, per network namespace. Kernel memory per
// namespace: flows ~100 bytes each (LRU hash), edges ~150 bytes each.
export const DEFAULT_MAX_EDGES = 4096;
export const DEFAULT_MAX_FLOWS = 16384;
