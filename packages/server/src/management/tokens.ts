import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import { DEFAULT_ACCOUNT_META } from "../iam/bootstrap.js";
import { userArn, type Principal } from "../iam/principal.js";
import type { Store } from "../storage/store.js";

/** A bearer token as stored: its secret only as a SHA-256 hash. */
export interface TokenRecord {
  /** `KSBT` + 16 characters; shown in listings and audit records like an access key id. */
  id: string;
  accountId: string;
  userName: string;
  /** Region the token's calls act in (secrets live in a region): the creator's. */
  region: string;
  /** hex SHA-256 of the secret part (256 random bits: a fast hash is enough, no password KDF needed). */
  hash: string;
  createdAt: number;
  createdBy: string;
  expiresAt?: number;
  revokedAt?: number;
  description?: string;
}

export interface Authenticated {
  principal: Principal;
  tokenId: string;
  region: string;
}

const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PREFIX = "ksbt_";
const TOKEN = /^ksbt_(KSBT[A-Z2-7]{16})_([A-Za-z0-9_-]{43})$/;
const recordKey = (id: string) => `management.token.${id}`;
const indexKey = (accountId: string) => `management.tokens.${accountId}`;

function hashOf(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

function invalid(): ServiceError {
  return new ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.");
}

/**
 * Bearer tokens for the management API, each tied to a user (a principal) of one account. The
 * token is `ksbt_<id>_<secret>`; only a SHA-256 of the secret is stored, compared in constant
 * time. A token is revocable and may expire; a revoked, expired or malformed token, or one whose
 * user was deleted, authenticates nobody. Stored in the store's meta key/value space (one key per
 * token, one index key per account; see docs/adr) so that every backend keeps them unchanged.
 * Answers are cached `ttlMs` per token (a revocation elsewhere takes effect within it; here at once).
 */
export class TokenDirectory {
  private readonly cache = new Map<string, { value: { rec: TokenRecord; principal: Principal } | undefined; until: number }>();
  private indexLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = 1000,
  ) {}

  /** Creates a token for `userName`; the secret is in the answer only, never stored. */
  async create(o: { accountId: string; userName: string; region: string; createdBy: string; expiresAt?: number; description?: string }): Promise<{ token: string; record: TokenRecord }> {
    let id = "KSBT";
    for (let i = 0; i < 16; i++) id += ID_CHARS[randomInt(ID_CHARS.length)];
    const secret = randomBytes(32).toString("base64url");
    const record: TokenRecord = {
      id, accountId: o.accountId, userName: o.userName, region: o.region, hash: hashOf(secret).toString("hex"), createdAt: this.clock(), createdBy: o.createdBy,
      ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}), ...(o.description !== undefined ? { description: o.description } : {}),
    };
    await this.store.setMeta(recordKey(id), JSON.stringify(record));
    await this.updateIndex(o.accountId, (ids) => [...ids, id]);
    return { token: `${PREFIX}${id}_${secret}`, record };
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    if (!/^KSBT[A-Z2-7]{16}$/.test(id)) return undefined;
    const raw = await this.store.getMeta(recordKey(id));
    return raw === undefined ? undefined : (JSON.parse(raw) as TokenRecord);
  }

  /** The account's tokens (revoked ones too, flagged), oldest first. */
  async list(accountId: string): Promise<TokenRecord[]> {
    const out: TokenRecord[] = [];
    for (const id of await this.index(accountId)) {
      const t = await this.get(id);
      if (t) out.push(t);
    }
    return out;
  }

  /** Revokes a token at once; returns false if it does not exist in `accountId`. Idempotent. */
  async revoke(accountId: string, id: string): Promise<TokenRecord | undefined> {
    const t = await this.get(id);
    if (!t || t.accountId !== accountId) return undefined;
    if (t.revokedAt === undefined) {
      t.revokedAt = this.clock();
      await this.store.setMeta(recordKey(id), JSON.stringify(t));
    }
    this.cache.delete(id);
    return t;
  }

  /** Whether a header value is a bearer token (the management API then authenticates with it instead of SigV4). */
  static isBearer(authorization: string | undefined): boolean {
    return authorization !== undefined && /^Bearer\s/i.test(authorization);
  }

  /** The principal a bearer token stands for; UnrecognizedClientException when it stands for nobody. */
  async authenticate(authorization: string): Promise<Authenticated> {
    const m = TOKEN.exec(authorization.replace(/^Bearer\s+/i, "").trim());
    if (!m) throw invalid();
    const [, id, secret] = m as unknown as [string, string, string];
    const now = this.clock();
    let hit = this.cache.get(id);
    if (!hit || hit.until <= now) {
      hit = { value: await this.load(id), until: now + this.ttlMs };
      if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(id, hit);
    }
    const v = hit.value;
    // The hash is compared even for an unknown id, so that timing does not tell ids apart.
    const stored = v ? Buffer.from(v.rec.hash, "hex") : Buffer.alloc(32);
    const ok = timingSafeEqual(stored, hashOf(secret)) && v !== undefined;
    if (!ok || v.rec.revokedAt !== undefined || (v.rec.expiresAt !== undefined && v.rec.expiresAt <= now)) throw invalid();
    return { principal: v.principal, tokenId: id, region: v.rec.region };
  }

  private async load(id: string): Promise<{ rec: TokenRecord; principal: Principal } | undefined> {
    const rec = await this.get(id);
    if (!rec) return undefined;
    const user = await this.store.getUser(rec.accountId, rec.userName);
    if (!user) return undefined;
    const policies = (await this.store.listUserPolicies(rec.accountId, rec.userName)).map((p) => p.document);
    const operatorAccount = await this.store.getMeta(DEFAULT_ACCOUNT_META);
    return {
      rec,
      principal: {
        accountId: rec.accountId, userName: rec.userName, arn: userArn(rec.accountId, rec.userName), accessKeyId: id,
        admin: user.admin, operator: user.admin && rec.accountId === operatorAccount, tags: user.tags, policies,
      },
    };
  }

  /** Drops cached answers (after a change to users or policies). */
  forgetAll(): void {
    this.cache.clear();
  }

  private async index(accountId: string): Promise<string[]> {
    const raw = await this.store.getMeta(indexKey(accountId));
    return raw === undefined ? [] : (JSON.parse(raw) as string[]);
  }

  /** Read-modify-write of the account's index, one at a time in this process. */
  private updateIndex(accountId: string, f: (ids: string[]) => string[]): Promise<void> {
    const run = this.indexLock.then(async () => this.store.setMeta(indexKey(accountId), JSON.stringify(f(await this.index(accountId)))));
    this.indexLock = run.catch(() => undefined);
    return run;
  }
}
