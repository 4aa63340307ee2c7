// Runs `fn` over `items` with at most `n` calls in flight: bulk API writes at a
// concurrency the apiserver takes, rather than one at a time or all at once.
export async function pool<T>(
  items: readonly T[],
  n: number,
  fn: (item: T, i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}
