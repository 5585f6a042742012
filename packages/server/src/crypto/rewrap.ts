import type { Store } from "../storage/store.js";
import type { Envelope } from "./envelope.js";

/**
 * Re-wraps every data key not under the active master key, in batches, with compare-and-set
 * so that a concurrent writer is never overwritten. Loops until a pass finds nothing, then waits
 * `settleMs` and checks once more (a server that wrapped under the old key just before it
 * noticed the new one commits within that time). Returns how many keys it re-wrapped.
 */
export async function rewrapAll(store: Store, envelope: Envelope, o: { settleMs: number; batch?: number }): Promise<number> {
  let n = 0;
  for (let settled = false; ; ) {
    const refs = await store.listWrappedKeysNotUnder(envelope.keys.activeKeyId(), o.batch ?? 500);
    if (refs.length === 0) {
      if (settled || o.settleMs === 0) return n;
      await new Promise((r) => setTimeout(r, o.settleMs));
      settled = true;
      continue;
    }
    settled = false;
    for (const ref of refs) {
      const next = await envelope.rewrap(ref.sealed, ref.purpose, ref.bind);
      if (next && (await store.replaceWrappedKey(ref, next))) n++;
    }
  }
}
