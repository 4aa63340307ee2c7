// Long synchronous work on the operator's event loop, cut into time slices: the work
// is written once as a generator that `yield`s at points where it may pause, and is
// either run to its end at once (tests, benchmarks) or in slices of a few
// milliseconds with the event loop let through between them (setImmediate), so the
// HTTP server's /healthz, /metrics and graph API keep answering meanwhile.

/** Work that yields (nothing) where it may pause and returns T at the end. */
export type Steps<T> = Generator<void, T, void>;

/** Runs the work to its end without pausing. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Default slice: short against a scrape's or a probe's timeout, long against setImmediate's cost. */
export const SLICE_MS = 10;

/**
 * Runs the work in slices of about sliceMs (a slice ends at the first pause point after
 * that), letting the event loop run between slices. The result is the same as runToEnd's.
 */
// The page's type-check reaches this file through api/edge.ts and has no Node types:
// Node's setImmediate (a turn of the event loop, no 1 ms timer clamp) is typed here.
const { setImmediate: nextTurn } = globalThis as unknown as {
  setImmediate(callback: () => void): unknown;
};

export async function runInSlices<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  for (;;) {
    const end = performance.now() + sliceMs;
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() >= end) break;
    }
    await new Promise<void>((resolve) => nextTurn(resolve));
  }
}

/** When the current turn's shared slice began (ms, performance.now()); -1 before any work. */
let turnStart = -1;

/**
 * For many loops that each do a little work per item (an agent stream per node): they
 * share one slice a turn of the event loop. Resolves at once while this turn's slice lasts,
 * else on a later turn, so timers (a Lease's renewal) are never held up by a burst that
 * reaches every loop at once: libuv runs every ready socket's callback in one turn, and a
 * thousand streams each handling a chunk there kept timers waiting for seconds.
 */
export async function shareTurn(sliceMs = SLICE_MS): Promise<void> {
  for (;;) {
    if (turnStart < 0) {
      turnStart = performance.now();
      nextTurn(() => {
        turnStart = -1;
      });
    }
    if (performance.now() - turnStart < sliceMs) return;
    await new Promise<void>((resolve) => nextTurn(resolve));
  }
}
