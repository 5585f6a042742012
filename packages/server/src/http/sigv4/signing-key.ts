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
  recent: boolean;
}

/**
 * A bounded (approximately) least-recently-used cache of derived signing keys, keyed by (access key id, date,
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
      if (hit.secretAccessKey === secretAccessKey) {
        hit.recent = true; // second chance at eviction: a hit is a flag, not a reordering
        return hit.key;
      }
      this.#entries.delete(id);
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.#derivations++;
    while (this.#entries.size >= this.#capacity) {
      const [oldId, old] = this.#entries.entries().next().value!;
      this.#entries.delete(oldId);
      if (old.recent) {
        old.recent = false;
        this.#entries.set(oldId, old);
      }
    }
    this.#entries.set(id, { secretAccessKey, key, recent: false });
    return key;
  }
}
