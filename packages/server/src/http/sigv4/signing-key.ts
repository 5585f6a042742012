import { createHmac } from "node:crypto";

/**
 * Derives the SigV4 signing key: HMAC chain kDate = HMAC("AWS4" + secret, YYYYMMDD),
 * kRegion = HMAC(kDate, region), kService = HMAC(kRegion, service),
 * kSigning = HMAC(kService, "aws4_request"). Pure; strings are UTF-8 encoded.
 */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac("sha256", "AWS4" + secretAccessKey).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return createHmac("sha256", kService).update("aws4_request").digest();
}

interface CachedKey {
  secretAccessKey: string;
  key: Buffer;
}

/**
 * A bounded least-recently-used cache of derived signing keys, keyed by (access key id, date,
 * region, service) and valid only for the secret it was derived from: when the secret behind an
 * access key changes, the next lookup derives and stores a fresh key. Holds at most `capacity`
 * keys (at least one); `derivations` counts cache misses, for tests and metrics.
 */
export class SigningKeyCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, CachedKey>();
  #derivations = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  get size(): number {
    return this.#entries.size;
  }

  get derivations(): number {
    return this.#derivations;
  }

  /** The signing key for these inputs, from the cache when possible. */
  get(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const id = accessKeyId + "/" + date + "/" + region + "/" + service;
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      this.#entries.delete(id); // re-inserted below: Map order is the recency order
      if (hit.secretAccessKey === secretAccessKey) {
        this.#entries.set(id, hit);
        return hit.key;
      }
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.#derivations++;
    this.#entries.set(id, { secretAccessKey, key });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return key;
  }
}
