// Long-running commands stop on SIGTERM (Kubernetes) or SIGINT (a terminal).

/** Resolves on the first SIGTERM or SIGINT. */
export function terminated(): Promise<void> {
  return new Promise((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve());
  });
}
