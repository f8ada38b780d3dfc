/**
 * Polls `check` (sync or async) until it returns a truthy value, which it returns; throws once `timeoutMs`
 * has passed. Tests wait for outcomes this way, never for a fixed time, so that a slow,
 * loaded machine only makes them take longer, never fail. The bound is generous on purpose.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
  intervalMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
