import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { isServiceError } from "@keyshift/protocol";
import { tempDir } from "../testing/harness.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { TokenDirectory } from "./tokens.js";

const ACCOUNT = "123456789012";

describe("TokenDirectory", () => {
  const dir = tempDir();
  let store: SqliteStore;
  let now = 1_800_000_000_000;

  before(async () => {
    store = new SqliteStore({ path: join(dir, "keyshift.db") });
    await store.insertAccount({ id: ACCOUNT, name: "a", createdAt: now });
    await store.insertUser({ accountId: ACCOUNT, userName: "ci", admin: false, tags: { team: "ops" }, createdAt: now });
    await store.putUserPolicy({ accountId: ACCOUNT, userName: "ci", policyName: "p", document: '{"Version":"2012-10-17","Statement":[]}', updatedAt: now });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rejectsInvalid = (p: Promise<unknown>) =>
    assert.rejects(p, (e: unknown) => isServiceError(e) && e.code === "UnrecognizedClientException" && e.message === "The security token included in the request is invalid.");

  test("a token stands for its user; only a hash of its secret is stored", async () => {
    const tokens = new TokenDirectory(store, () => now, 0);
    const { token, record } = await tokens.create({ accountId: ACCOUNT, userName: "ci", region: "eu-west-1", createdBy: "arn:aws:iam::123456789012:user/admin" });
    // ksbt_<id>_<secret>; the secret (base64url) may itself hold "_".
    const [, id, ...rest] = token.split("_") as [string, string, ...string[]];
    const secret = rest.join("_");
    assert.equal(id, record.id);
    const stored = (await store.getMeta(`management.token.${id}`))!;
    assert.ok(!stored.includes(secret), "the secret is not stored");
    assert.match(JSON.parse(stored).hash, /^[0-9a-f]{64}$/);
    const a = await tokens.authenticate(`Bearer ${token}`);
    assert.equal(a.principal.arn, "arn:aws:iam::123456789012:user/ci");
    assert.equal(a.principal.accessKeyId, id);
    assert.equal(a.principal.admin, false);
    assert.deepEqual(a.principal.tags, { team: "ops" });
    assert.equal(a.principal.policies.length, 1);
    assert.equal(a.region, "eu-west-1");
    assert.deepEqual((await tokens.list(ACCOUNT)).map((t) => t.id), [id]);
  });

  test("a wrong secret, an unknown id or a malformed header authenticates nobody", async () => {
    const tokens = new TokenDirectory(store, () => now, 0);
    const { token } = await tokens.create({ accountId: ACCOUNT, userName: "ci", region: "us-east-1", createdBy: "x" });
    const flipped = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await rejectsInvalid(tokens.authenticate(`Bearer ${flipped}`));
    await rejectsInvalid(tokens.authenticate(`Bearer ${token.replace(/KSBT[A-Z2-7]{16}/, "KSBTAAAAAAAAAAAAAAAA")}`));
    await rejectsInvalid(tokens.authenticate("Bearer ksbt_"));
    await rejectsInvalid(tokens.authenticate(`Bearer ${token}x`));
  });

  test("revocation is immediate here (even with a cache), expiry is honoured", async () => {
    const tokens = new TokenDirectory(store, () => now, 60_000);
    const { token, record } = await tokens.create({ accountId: ACCOUNT, userName: "ci", region: "us-east-1", createdBy: "x", expiresAt: now + 10_000 });
    await tokens.authenticate(`Bearer ${token}`);
    now += 10_000;
    await rejectsInvalid(tokens.authenticate(`Bearer ${token}`));
    now -= 10_000;
    await tokens.authenticate(`Bearer ${token}`);
    assert.equal(await tokens.revoke("999999999999", record.id), undefined, "another account cannot revoke it");
    const revoked = await tokens.revoke(ACCOUNT, record.id);
    assert.equal(revoked?.revokedAt, now);
    await rejectsInvalid(tokens.authenticate(`Bearer ${token}`));
    // Revoked everywhere: a second directory (another server) sees it too.
    await rejectsInvalid(new TokenDirectory(store, () => now, 0).authenticate(`Bearer ${token}`));
  });

  test("a token whose user was deleted authenticates nobody", async () => {
    await store.insertUser({ accountId: ACCOUNT, userName: "gone", admin: true, tags: {}, createdAt: now });
    const tokens = new TokenDirectory(store, () => now, 0);
    const { token } = await tokens.create({ accountId: ACCOUNT, userName: "gone", region: "us-east-1", createdBy: "x" });
    await tokens.authenticate(`Bearer ${token}`);
    await store.deleteUser(ACCOUNT, "gone");
    await rejectsInvalid(tokens.authenticate(`Bearer ${token}`));
  });

  test("concurrent creations all land in the account's index", async () => {
    const tokens = new TokenDirectory(store, () => now, 0);
    const before = (await tokens.list(ACCOUNT)).length;
    await Promise.all(Array.from({ length: 20 }, () => tokens.create({ accountId: ACCOUNT, userName: "ci", region: "us-east-1", createdBy: "x" })));
    assert.equal((await tokens.list(ACCOUNT)).length, before + 20);
  });
});
