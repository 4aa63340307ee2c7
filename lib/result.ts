// The one shape of an outcome that may fail, for functions whose failure is an
// answer to pass on (a bad spec, a refused token, a namespace not entered) rather
// than an exception: check `ok`, then read the fields or `error`, a one-line reason.
export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; error: string };

/** The one-line reason an error gives a user (status.nodes, an HTTP body, CLI stderr); logs take the error itself. */
export const errorText = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);
