/** The error of class `type` that `action` throws or rejects with; anything else fails the test. */
export async function caught<E extends Error>(
  type: abstract new (...args: never[]) => E,
  action: Promise<unknown> | (() => unknown),
): Promise<E> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (err) {
    if (err instanceof type) return err;
    throw new Error(`expected a ${type.name}, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a ${type.name}, but it succeeded`);
}
