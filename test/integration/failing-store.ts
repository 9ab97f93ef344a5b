import type { CustomerStore } from '../../functions/adapters/ports/customers.ts';

/**
 * The store with its N-th call of one of `writes` failing: an array of items is half written first,
 * as a timeout leaves it. `calls` counts the write calls made so far.
 */
export function failingAt<S extends CustomerStore>(store: S, n: number, writes: ReadonlySet<string>): { store: CustomerStore; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !writes.has(property) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls++;
        if (calls === n) {
          const [first, ...rest] = args;
          if (Array.isArray(first) && first.length > 1) await (value as (...a: unknown[]) => Promise<unknown>).apply(target, [first.slice(0, Math.floor(first.length / 2)), ...rest]);
          throw new Error(`injected failure of write ${n} (${property})`);
        }
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { store: proxy, calls: () => calls };
}
