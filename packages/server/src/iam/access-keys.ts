import { randomBytes, randomInt } from "node:crypto";
import { bindings } from "../crypto/bindings.js";
import type { Envelope } from "../crypto/envelope.js";
import type { AccessKeyRecord } from "../secrets/records.js";
import type { Store } from "../storage/store.js";
import { userArn, type Principal } from "./principal.js";
import { DEFAULT_ACCOUNT_META } from "./bootstrap.js";

const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A new access key id: 20 characters like AWS's, with Keyshift's own prefix so that it is never mistaken for an AWS key. */
export function newAccessKeyId(): string {
  let s = "KSAK";
  for (let i = 0; i < 16; i++) s += ID_CHARS[randomInt(ID_CHARS.length)];
  return s;
}

/** A new secret access key: 40 characters (240 bits) like AWS's. */
export function newSecretAccessKey(): string {
  const b = randomBytes(40);
  let s = "";
  for (const x of b) s += SECRET_CHARS[x & 63];
  return s;
}

/** Stores an access key; its secret is sealed under the master key, bound to the account and key id. */
export async function createAccessKey(
  store: Store,
  envelope: Envelope,
  k: { accountId: string; userName: string; accessKeyId?: string; secretAccessKey?: string; now: number },
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const accessKeyId = k.accessKeyId ?? newAccessKeyId();
  const secretAccessKey = k.secretAccessKey ?? newSecretAccessKey();
  const sealedSecret = await envelope.seal(Buffer.from(secretAccessKey, "utf8"), bindings.accessKey.purpose, bindings.accessKey.bind(k.accountId, accessKeyId));
  const rec: AccessKeyRecord = { accessKeyId, accountId: k.accountId, userName: k.userName, status: "Active", createdAt: k.now, sealedSecret };
  await store.insertAccessKey(rec);
  return { accessKeyId, secretAccessKey };
}

export interface Credential {
  secretAccessKey: string;
  principal: Principal;
}

interface Entry {
  cred: Credential | undefined;
  expires: number;
}

/**
 * Access keys for request signing, with their user's admin flag, tags and policies, cached in
 * memory for `ttlMs` (positive and negative answers alike) so that the hot path neither decrypts
 * a key nor reads policies per request; a key, user or policy changed elsewhere takes effect
 * within the TTL. `prefetch` loads asynchronously; `peek` answers
 * synchronously from the cache, for the SigV4 verifier.
 */
export class AccessKeyDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly lastTouched = new Map<string, number>();
  private operatorAccount: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly envelope: Envelope,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = 1000,
    private readonly maxEntries = 10_000,
  ) {}

  /** True when `peek` can answer for this key without a store read. */
  fresh(accessKeyId: string): boolean {
    const hit = this.cache.get(accessKeyId);
    return hit !== undefined && hit.expires > this.clock();
  }

  async prefetch(accessKeyId: string): Promise<void> {
    const now = this.clock();
    const rec = await this.store.getAccessKey(accessKeyId);
    let cred: Credential | undefined;
    if (rec && rec.status === "Active") {
      const secret = await this.envelope.open(rec.sealedSecret, bindings.accessKey.purpose, bindings.accessKey.bind(rec.accountId, rec.accessKeyId));
      // A key without its user (deleted meanwhile) authenticates nobody.
      const user = await this.store.getUser(rec.accountId, rec.userName);
      if (user) {
        const policies = (await this.store.listUserPolicies(rec.accountId, rec.userName)).map((p) => p.document);
        this.operatorAccount ??= await this.store.getMeta(DEFAULT_ACCOUNT_META);
        cred = {
          secretAccessKey: secret.toString("utf8"),
          principal: {
            accountId: rec.accountId, userName: rec.userName, arn: userArn(rec.accountId, rec.userName), accessKeyId,
            admin: user.admin, operator: user.admin && rec.accountId === this.operatorAccount, tags: user.tags, policies,
          },
        };
      }
    }
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(accessKeyId, { cred, expires: now + this.ttlMs });
  }

  peek(accessKeyId: string): Credential | undefined {
    return this.cache.get(accessKeyId)?.cred;
  }

  /** Records use of a key, at most once a minute per key; undefined when there was nothing to write. */
  touch(accessKeyId: string): Promise<void> | undefined {
    const now = this.clock();
    if ((this.lastTouched.get(accessKeyId) ?? 0) > now - 60_000) return undefined;
    this.lastTouched.set(accessKeyId, now);
    return this.store.touchAccessKey(accessKeyId, now);
  }

  forget(accessKeyId: string): void {
    this.cache.delete(accessKeyId);
  }

  /** Drops every cached answer (after a change to users, keys or policies). */
  forgetAll(): void {
    this.cache.clear();
  }
}
