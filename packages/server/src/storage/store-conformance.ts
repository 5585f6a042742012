import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test, before, after } from "node:test";
import type { Sealed } from "../crypto/envelope.js";
import type { SecretRecord } from "../secrets/records.js";
import type { RotationRecord } from "../rotation/records.js";
import { StoreConflict, type Store } from "./store.js";
import { GENESIS, seal } from "../audit/chain.js";
import type { AuditCheckpoint, AuditQuery, AuditRecord } from "../audit/records.js";

export interface StoreFixture {
  store: Store;
  /** Closes and opens the same store again (durability). */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

const sealed = (tag: string, keyId = "mk-1"): Sealed => ({ keyId, wrappedKey: Buffer.from(`wrapped-${tag}`), ciphertext: Buffer.from(`ct-${tag}`) });

function secret(p: Partial<SecretRecord> = {}): SecretRecord {
  const uid = p.uid ?? randomUUID();
  const name = p.name ?? `s-${uid.slice(0, 8)}`;
  return {
    uid, accountId: "111111111111", region: "us-east-1", name, arn: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-${uid.slice(0, 6)}`,
    createdAt: 1_000, lastChangedAt: 1_000, revision: 1, ...p,
  };
}

async function conflictKind(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreConflict, `expected StoreConflict, got ${String(e)}`);
    return e.kind;
  }
  assert.fail("expected a StoreConflict");
}

/**
 * The conformance suite every Store backend runs unchanged (sqlite-store.test.ts, and the
 * PostgreSQL store later). It pins the contract of store.ts: atomic commits, conflicts as
 * StoreConflict, ordering, paging, cascades, compare-and-set, durability across reopen.
 */
export function storeConformance(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let f: StoreFixture;
    let store: Store;
    before(async () => {
      f = await open();
      store = f.store;
    });
    after(async () => f.cleanup());

    test("a secret round-trips with every metadata field", async () => {
      const s = secret({
        description: "d", kmsKeyId: "k", type: "t", owningService: "o", lastAccessedAt: 86_400_000, deletedAt: 5, deletionDate: 6,
        rotationEnabled: true, rotationLambdaArn: "arn:aws:lambda:us-east-1:1:function:f", rotationRules: { AutomaticallyAfterDays: 3 },
        lastRotatedAt: 7, nextRotationAt: 8, tags: [{ Key: "a", Value: "b" }], resourcePolicy: "{}", primaryUid: "p", primaryRegion: "eu-west-1",
        replicas: [{ Region: "eu-west-1", Status: "InSync", replicaUid: "r" }],
        rotationOptions: { format: "hex" }, rotationDueAt: 9, rotationFailures: 2, rotationFailing: true,
      });
      await store.commit([{ op: "insertSecret", secret: s }]);
      assert.deepEqual(await store.getSecretByUid(s.uid), s);
      assert.deepEqual(await store.getSecretByArn(s.arn), s);
      assert.deepEqual(await store.getSecretByName(s.accountId, s.region, s.name), s);
      assert.equal(await store.getSecretByName(s.accountId, "eu-west-1", s.name), undefined);
      assert.equal(await store.getSecretByName("222222222222", s.region, s.name), undefined);
    });

    test("a secret's management metadata (type, criticality) round-trips and follows updates", async () => {
      const s = secret({ management: { secretType: "api_key", criticality: "critical" } });
      await store.commit([{ op: "insertSecret", secret: s }]);
      assert.deepEqual((await store.getSecretByUid(s.uid))?.management, { secretType: "api_key", criticality: "critical" });
      await store.commit([{ op: "updateSecret", secret: { ...s, management: { secretType: "database", criticality: "low" }, revision: s.revision + 1 } }]);
      assert.deepEqual((await store.getSecretByArn(s.arn))?.management, { secretType: "database", criticality: "low" });
    });

    test("Tags: [] stays distinct from no tags", async () => {
      const a = secret({ tags: [] });
      const b = secret();
      await store.commit([{ op: "insertSecret", secret: a }, { op: "insertSecret", secret: b }]);
      assert.deepEqual((await store.getSecretByUid(a.uid))!.tags, []);
      assert.equal((await store.getSecretByUid(b.uid))!.tags, undefined);
    });

    test("names are unique per account and region only", async () => {
      const s = secret();
      await store.commit([{ op: "insertSecret", secret: s }]);
      assert.equal(await conflictKind(store.commit([{ op: "insertSecret", secret: secret({ name: s.name }) }])), "name");
      await store.commit([{ op: "insertSecret", secret: secret({ name: s.name, region: "eu-west-1", arn: `${s.arn}-eu` }) }]);
      await store.commit([{ op: "insertSecret", secret: secret({ name: s.name, accountId: "222222222222", arn: `${s.arn}-other` }) }]);
    });

    test("updateSecret is compare-and-set on the revision", async () => {
      const s = secret();
      await store.commit([{ op: "insertSecret", secret: s }]);
      await store.commit([{ op: "updateSecret", secret: { ...s, description: "x", revision: 2 } }]);
      assert.equal(await conflictKind(store.commit([{ op: "updateSecret", secret: { ...s, description: "stale", revision: 2 } }])), "revision");
      const now = await store.getSecretByUid(s.uid);
      assert.equal(now!.description, "x");
      assert.equal(now!.revision, 2);
      assert.equal(await conflictKind(store.commit([{ op: "updateSecret", secret: secret({ revision: 2 }) }])), "revision");
    });

    test("a commit is atomic: a failing change undoes the earlier ones", async () => {
      const s = secret();
      await store.commit([{ op: "insertSecret", secret: s }]);
      await conflictKind(
        store.commit([
          { op: "insertVersion", secretUid: s.uid, versionId: "v1", createdAt: 1, kind: "string", sealed: sealed("1") },
          { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v1" },
          { op: "updateSecret", secret: { ...s, revision: 9 } },
        ]),
      );
      assert.deepEqual(await store.listVersions(s.uid), []);
      assert.equal(await store.getVersionByStage(s.uid, "AWSCURRENT"), undefined);
    });

    test("versions: insert, read by id and stage, duplicate ids, placeholder, value set later", async () => {
      const s = secret();
      await store.commit([
        { op: "insertSecret", secret: s },
        { op: "insertVersion", secretUid: s.uid, versionId: "v1", createdAt: 10, kind: "string", sealed: sealed("1") },
        { op: "insertVersion", secretUid: s.uid, versionId: "v2", createdAt: 20, kind: "binary", sealed: sealed("2") },
        { op: "insertVersion", secretUid: s.uid, versionId: "p", createdAt: 30 },
        { op: "setStage", secretUid: s.uid, stage: "ZED", versionId: "v1" },
        { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v1" },
        { op: "setStage", secretUid: s.uid, stage: "AWSPENDING", versionId: "p" },
      ]);
      const v1 = await store.getVersion(s.uid, "v1");
      assert.deepEqual(v1, { versionId: "v1", createdAt: 10, stages: ["AWSCURRENT", "ZED"], keyId: "mk-1", kind: "string", sealed: sealed("1") });
      assert.deepEqual((await store.getVersionByStage(s.uid, "AWSCURRENT"))?.versionId, "v1");
      const p = await store.getVersionByStage(s.uid, "AWSPENDING");
      assert.equal(p?.sealed, undefined);
      assert.equal(p?.kind, undefined);
      assert.equal(await conflictKind(store.commit([{ op: "insertVersion", secretUid: s.uid, versionId: "v1", createdAt: 40 }])), "version");
      await store.commit([{ op: "setVersionValue", secretUid: s.uid, versionId: "p", kind: "string", sealed: sealed("p") }]);
      assert.deepEqual((await store.getVersion(s.uid, "p"))?.sealed, sealed("p"));
      assert.equal(await conflictKind(store.commit([{ op: "setVersionValue", secretUid: s.uid, versionId: "nope", kind: "string", sealed: sealed("x") }])), "missing");
      assert.deepEqual(
        (await store.listVersions(s.uid)).map((v) => [v.versionId, v.stages]),
        [["v1", ["AWSCURRENT", "ZED"]], ["v2", []], ["p", ["AWSPENDING"]]],
      );
    });

    test("labels: move, remove, refuse a missing version, delete a version with its labels", async () => {
      const s = secret();
      await store.commit([
        { op: "insertSecret", secret: s },
        { op: "insertVersion", secretUid: s.uid, versionId: "a", createdAt: 1, kind: "string", sealed: sealed("a") },
        { op: "insertVersion", secretUid: s.uid, versionId: "b", createdAt: 2, kind: "string", sealed: sealed("b") },
        { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "a" },
        { op: "setStage", secretUid: s.uid, stage: "X", versionId: "b" },
      ]);
      await store.commit([{ op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "b" }, { op: "setStage", secretUid: s.uid, stage: "X", versionId: null }]);
      assert.deepEqual((await store.getVersion(s.uid, "b"))?.stages, ["AWSCURRENT"]);
      assert.deepEqual((await store.getVersion(s.uid, "a"))?.stages, []);
      assert.equal(await conflictKind(store.commit([{ op: "setStage", secretUid: s.uid, stage: "Y", versionId: "zzz" }])), "missing");
      await store.commit([{ op: "deleteVersion", secretUid: s.uid, versionId: "b" }]);
      assert.equal(await store.getVersionByStage(s.uid, "AWSCURRENT"), undefined);
      assert.deepEqual((await store.listVersions(s.uid)).map((v) => v.versionId), ["a"]);
    });

    test("stagesBySecret answers many secrets at once", async () => {
      const list = [secret(), secret(), secret()];
      await store.commit(list.flatMap((s, i) => [
        { op: "insertSecret" as const, secret: s },
        { op: "insertVersion" as const, secretUid: s.uid, versionId: `v${i}`, createdAt: 1, kind: "string" as const, sealed: sealed(`${i}`) },
        { op: "setStage" as const, secretUid: s.uid, stage: "AWSCURRENT", versionId: `v${i}` },
        { op: "setStage" as const, secretUid: s.uid, stage: "B", versionId: `v${i}` },
      ]));
      const m = await store.stagesBySecret(list.map((s) => s.uid));
      for (const [i, s] of list.entries()) assert.deepEqual(m.get(s.uid)?.get(`v${i}`), ["AWSCURRENT", "B"]);
      assert.equal((await store.stagesBySecret(["none"])).size, 0);
    });

    test("deleteSecret removes its versions and labels", async () => {
      const s = secret();
      await store.commit([
        { op: "insertSecret", secret: s },
        { op: "insertVersion", secretUid: s.uid, versionId: "v", createdAt: 1, kind: "string", sealed: sealed("v") },
        { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v" },
      ]);
      await store.commit([{ op: "deleteSecret", uid: s.uid }]);
      assert.equal(await store.getSecretByUid(s.uid), undefined);
      assert.deepEqual(await store.listVersions(s.uid), []);
      assert.equal(await store.getVersionByStage(s.uid, "AWSCURRENT"), undefined);
      await store.commit([{ op: "insertSecret", secret: { ...s, uid: randomUUID(), arn: `${s.arn}x` } }]);
    });

    test("listSecrets pages in every order, scoped to account and region, deleted on request", async () => {
      const account = "333333333333";
      const made: SecretRecord[] = [];
      for (let i = 0; i < 25; i++) {
        made.push(secret({ accountId: account, name: `n${String((i * 7) % 25).padStart(2, "0")}`, createdAt: 1000 + (i % 5), lastChangedAt: 5000 - i, ...(i % 3 === 0 ? { lastAccessedAt: i * 10 } : {}), ...(i === 4 ? { deletedAt: 1, deletionDate: 2 } : {}) }));
      }
      made.push(secret({ accountId: account, region: "eu-west-1" }), secret({ accountId: "444444444444" }));
      await store.commit(made.map((s) => ({ op: "insertSecret" as const, secret: s })));
      const key = (s: SecretRecord, by: string): string | number =>
        by === "created-date" ? s.createdAt : by === "last-changed-date" ? s.lastChangedAt : by === "last-accessed-date" ? (s.lastAccessedAt ?? 0) : s.name;
      for (const sortBy of ["created-date", "last-changed-date", "last-accessed-date", "name"] as const) {
        for (const order of ["asc", "desc"] as const) {
          for (const includeDeleted of [false, true]) {
            const expected = made
              .filter((s) => s.accountId === account && s.region === "us-east-1" && (includeDeleted || s.deletedAt === undefined))
              .sort((a, b) => {
                const ka = key(a, sortBy), kb = key(b, sortBy);
                const c = ka < kb ? -1 : ka > kb ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
                return order === "asc" ? c : -c;
              })
              .map((s) => s.uid);
            const got: string[] = [];
            let afterPos: { key: string | number | null; uid: string } | undefined;
            for (;;) {
              const page = await store.listSecrets({ accountId: account, region: "us-east-1", includeDeleted, sortBy, order, limit: 4, ...(afterPos ? { after: afterPos } : {}) });
              got.push(...page.map((s) => s.uid));
              if (page.length < 4) break;
              const last = page[page.length - 1]!;
              afterPos = { key: key(last, sortBy), uid: last.uid };
            }
            assert.deepEqual(got, expected, `${sortBy} ${order} deleted=${includeDeleted}`);
          }
        }
      }
    });

    test("purge candidates are the secrets whose deletion date has passed", async () => {
      const due = secret({ deletedAt: 1, deletionDate: 100 });
      const later = secret({ deletedAt: 1, deletionDate: 10_000_000_000 });
      await store.commit([{ op: "insertSecret", secret: due }, { op: "insertSecret", secret: later }]);
      const uids = (await store.listSecretsDueForPurge(1000, 100)).map((s) => s.uid);
      assert.ok(uids.includes(due.uid));
      assert.ok(!uids.includes(later.uid));
    });

    test("access times only move forward", async () => {
      const s = secret();
      await store.commit([{ op: "insertSecret", secret: s }, { op: "insertVersion", secretUid: s.uid, versionId: "v", createdAt: 1, kind: "string", sealed: sealed("v") }]);
      await store.recordAccess({ secrets: [{ uid: s.uid, day: 200 }], versions: [{ secretUid: s.uid, versionId: "v", day: 300 }] });
      await store.recordAccess({ secrets: [{ uid: s.uid, day: 100 }], versions: [{ secretUid: s.uid, versionId: "v", day: 100 }] });
      await store.recordAccess({ secrets: [{ uid: "missing", day: 100 }], versions: [] });
      assert.equal((await store.getSecretByUid(s.uid))!.lastAccessedAt, 200);
      assert.equal((await store.getVersion(s.uid, "v"))!.lastAccessedAt, 300);
      assert.equal((await store.getSecretByUid(s.uid))!.revision, 1, "a touch is not a revision");
    });

    test("accounts, access keys and meta", async () => {
      await store.insertAccount({ id: "555555555555", name: "n", createdAt: 1 });
      assert.deepEqual(await store.getAccount("555555555555"), { id: "555555555555", name: "n", createdAt: 1 });
      assert.ok((await store.listAccounts()).some((a) => a.id === "555555555555"));
      const k = { accessKeyId: `KSAK${randomUUID().slice(0, 8)}`, accountId: "555555555555", userName: "u", status: "Active" as const, createdAt: 2, sealedSecret: sealed("k") };
      await store.insertAccessKey(k);
      assert.deepEqual(await store.getAccessKey(k.accessKeyId), k);
      await store.touchAccessKey(k.accessKeyId, 99);
      assert.equal((await store.getAccessKey(k.accessKeyId))!.lastUsedAt, 99);
      assert.deepEqual((await store.listAccessKeys("555555555555")).map((x) => x.accessKeyId), [k.accessKeyId]);
      assert.equal(await store.deleteAccessKey(k.accessKeyId), true);
      assert.equal(await store.deleteAccessKey(k.accessKeyId), false);
      assert.equal(await store.getMeta("m"), undefined);
      await store.setMeta("m", "1");
      await store.setMeta("m", "2");
      assert.equal(await store.getMeta("m"), "2");
    });

    test("wrapped keys are listed by master key and replaced with compare-and-set", async () => {
      await store.insertAccount({ id: "666666666666", name: "w", createdAt: 1 });
      const s = secret({ accountId: "666666666666" });
      await store.commit([
        { op: "insertSecret", secret: s },
        { op: "insertVersion", secretUid: s.uid, versionId: "v", createdAt: 1, kind: "string", sealed: sealed("v", "mk-old") },
        { op: "insertVersion", secretUid: s.uid, versionId: "p", createdAt: 2 },
      ]);
      await store.insertAccessKey({ accessKeyId: "KSAKWRAPTEST0000", accountId: "666666666666", userName: "u", status: "Active", createdAt: 1, sealedSecret: sealed("k", "mk-old") });
      const refs = (await store.listWrappedKeysNotUnder("mk-new", 1000)).filter((r) => r.sealed.keyId === "mk-old");
      assert.equal(refs.length, 2);
      const v = refs.find((r) => r.table === "versions")!;
      assert.deepEqual(v.bind, ["666666666666", s.uid, "v"]);
      const next: Sealed = { keyId: "mk-new", wrappedKey: Buffer.from("new"), ciphertext: v.sealed.ciphertext };
      assert.equal(await store.replaceWrappedKey(v, next), true);
      assert.equal(await store.replaceWrappedKey(v, next), false, "second replace sees the key already changed");
      assert.deepEqual((await store.getVersion(s.uid, "v"))!.sealed, next);
      const k = refs.find((r) => r.table === "access_keys")!;
      assert.equal(await store.replaceWrappedKey(k, { ...next, ciphertext: k.sealed.ciphertext }), true);
      assert.equal((await store.getAccessKey("KSAKWRAPTEST0000"))!.sealedSecret.keyId, "mk-new");
      assert.equal((await store.listWrappedKeysNotUnder("mk-new", 1000)).filter((r) => r.sealed.keyId === "mk-old").length, 0);
    });

    test("concurrent writers of one revision: exactly one wins", async () => {
      const s = secret();
      await store.commit([{ op: "insertSecret", secret: s }]);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.commit([{ op: "updateSecret", secret: { ...s, description: `w${i}`, revision: 2 } }])),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof StoreConflict);
    });

    test("rotations: one running per secret, compare-and-set updates, resumable ones, history order and filters", async () => {
      const s = secret({ accountId: "777777777777" });
      await store.commit([{ op: "insertSecret", secret: s }]);
      const rot = (p: Partial<RotationRecord> = {}): RotationRecord => ({
        id: randomUUID(), secretUid: s.uid, accountId: s.accountId, region: s.region, secretArn: s.arn, secretName: s.name, token: randomUUID(),
        rotatorArn: "arn:aws:lambda:us-east-1:777777777777:function:f", rotationToken: "rt", options: {}, method: "manual", status: "running",
        plan: ["createSecret", "setSecret", "testSecret", "finishSecret"], steps: [], startedAt: 100, attempt: 1, revision: 1, leaseOwner: "n1", leaseUntil: 1000, ...p,
      });
      const a = rot();
      await store.commit([{ op: "insertRotation", rotation: a }]);
      assert.equal(await conflictKind(store.commit([{ op: "insertRotation", rotation: rot() }])), "rotation");
      assert.deepEqual(await store.getRunningRotation(s.uid), a);
      assert.deepEqual(await store.getRotation(a.id), a);
      assert.deepEqual((await store.listRotationsToResume(500, "n2")).map((r) => r.id), []);
      assert.deepEqual((await store.listRotationsToResume(500, "n1")).map((r) => r.id), [a.id]);
      assert.deepEqual((await store.listRotationsToResume(2000, "n2")).map((r) => r.id), [a.id]);
      const done = { ...a, status: "succeeded" as const, endedAt: 200, revision: 2, steps: [{ step: "createSecret" as const, startedAt: 100, endedAt: 150, outcome: "succeeded" as const }] };
      await store.commit([{ op: "updateRotation", rotation: done }]);
      assert.equal(await conflictKind(store.commit([{ op: "updateRotation", rotation: { ...a, status: "failed", revision: 2 } }])), "revision");
      assert.equal(await store.getRunningRotation(s.uid), undefined);
      const b = rot({ startedAt: 300, method: "automatic" });
      await store.commit([{ op: "insertRotation", rotation: b }, { op: "updateRotation", rotation: { ...b, status: "failed", error: "x", revision: 2 } }]);
      const c = rot({ startedAt: 400 });
      await store.commit([{ op: "insertRotation", rotation: c }]);
      assert.deepEqual((await store.listRotations({ accountId: s.accountId, secretUid: s.uid, limit: 10 })).map((r) => r.id), [c.id, b.id, a.id]);
      assert.deepEqual((await store.listRotations({ accountId: s.accountId, status: "failed", limit: 10 })).map((r) => r.id), [b.id]);
      assert.deepEqual((await store.listRotations({ accountId: s.accountId, method: "automatic", limit: 10 })).map((r) => r.id), [b.id]);
      assert.deepEqual((await store.listRotations({ accountId: s.accountId, since: 300, until: 400, limit: 10 })).map((r) => r.id), [b.id]);
      assert.deepEqual((await store.listRotations({ accountId: s.accountId, before: { startedAt: 400, id: c.id }, limit: 1 })).map((r) => r.id), [b.id]);
      assert.deepEqual(await store.listRotations({ accountId: "000000000000", limit: 10 }), []);
    });

    test("rotation due dates: due secrets soonest first, deleted ones left out", async () => {
      const soon = secret({ rotationDueAt: 10 });
      const later = secret({ rotationDueAt: 20 });
      const future = secret({ rotationDueAt: 10_000 });
      const deleted = secret({ rotationDueAt: 5, deletedAt: 1, deletionDate: 9_999_999_999_999 });
      await store.commit([soon, later, future, deleted].map((x) => ({ op: "insertSecret" as const, secret: x })));
      const due = (await store.listSecretsDueForRotation(100, 100)).map((x) => x.uid);
      assert.ok(due.indexOf(soon.uid) >= 0 && due.indexOf(soon.uid) < due.indexOf(later.uid));
      assert.ok(!due.includes(future.uid) && !due.includes(deleted.uid));
      await store.commit([{ op: "updateSecret", secret: { ...soon, rotationDueAt: undefined, revision: 2 } }]);
      assert.ok(!(await store.listSecretsDueForRotation(100, 100)).some((x) => x.uid === soon.uid));
    });

    test("HTTP rotator registrations per account", async () => {
      await store.putRotator({ accountId: "888888888888", name: "fn", url: "http://a", createdAt: 1 });
      await store.putRotator({ accountId: "888888888888", name: "fn", url: "http://b", createdAt: 2 });
      await store.putRotator({ accountId: "999999999999", name: "fn", url: "http://c", createdAt: 1 });
      assert.equal((await store.getRotator("888888888888", "fn"))?.url, "http://b");
      assert.deepEqual((await store.listRotators("888888888888")).map((r) => r.name), ["fn"]);
      assert.equal(await store.deleteRotator("888888888888", "fn"), true);
      assert.equal(await store.getRotator("888888888888", "fn"), undefined);
      assert.equal((await store.getRotator("999999999999", "fn"))?.url, "http://c");
    });

    test("consumer reports: replaced per consumer, listed per account, most recent first", async () => {
      const c = (id: string, lastSeen: number, versionId: string) => ({
        accountId: "121212121212", consumerId: id, kind: "agent" as const, principalArn: "arn:aws:iam::121212121212:user/a", sourceIp: "127.0.0.1", lastSeen,
        holdings: [{ ARN: "arn:aws:secretsmanager:us-east-1:121212121212:secret:x-abcdef", VersionId: versionId, VersionStages: ["AWSCURRENT"] }],
      });
      await store.putConsumer(c("a", 10, "v1"));
      await store.putConsumer(c("b", 20, "v1"));
      await store.putConsumer(c("a", 30, "v2"));
      await store.putConsumer({ ...c("a", 5, "v9"), accountId: "343434343434" });
      const list = await store.listConsumers("121212121212");
      assert.deepEqual(list.map((x) => [x.consumerId, x.lastSeen, x.holdings[0]!.VersionId]), [["a", 30, "v2"], ["b", 20, "v1"]]);
    });

    test("users, their policies and key status; deleting a user takes its keys and policies", async () => {
      await store.insertAccount({ id: "565656565656", name: "u", createdAt: 1 });
      const u = { accountId: "565656565656", userName: "app", admin: false, tags: { team: "billing" }, createdAt: 3 };
      await store.insertUser(u);
      assert.equal(await conflictKind(store.insertUser(u)), "name");
      await store.insertUser({ ...u, userName: "ops", admin: true });
      assert.deepEqual(await store.getUser("565656565656", "app"), u);
      assert.deepEqual((await store.listUsers("565656565656")).map((x) => x.userName), ["app", "ops"]);
      assert.equal(await store.getUser("000000000000", "app"), undefined);
      await store.putUserPolicy({ accountId: "565656565656", userName: "app", policyName: "read", document: "{}", updatedAt: 1 });
      await store.putUserPolicy({ accountId: "565656565656", userName: "app", policyName: "read", document: '{"v":2}', updatedAt: 2 });
      await store.putUserPolicy({ accountId: "565656565656", userName: "app", policyName: "b", document: "{}", updatedAt: 2 });
      assert.equal((await store.getUserPolicy("565656565656", "app", "read"))?.document, '{"v":2}');
      assert.deepEqual((await store.listUserPolicies("565656565656", "app")).map((p) => p.policyName), ["b", "read"]);
      assert.equal(await store.deleteUserPolicy("565656565656", "app", "b"), true);
      assert.equal(await store.deleteUserPolicy("565656565656", "app", "b"), false);
      await store.insertAccessKey({ accessKeyId: "KSAKUSERKEYTEST0001", accountId: "565656565656", userName: "app", status: "Active", createdAt: 1, sealedSecret: sealed("u") });
      assert.equal(await store.setAccessKeyStatus("KSAKUSERKEYTEST0001", "Inactive"), true);
      assert.equal((await store.getAccessKey("KSAKUSERKEYTEST0001"))?.status, "Inactive");
      assert.equal(await store.setAccessKeyStatus("KSAKNOSUCHKEY000000", "Inactive"), false);
      assert.equal(await store.deleteUser("565656565656", "app"), true);
      assert.equal(await store.getUser("565656565656", "app"), undefined);
      assert.equal(await store.getAccessKey("KSAKUSERKEYTEST0001"), undefined);
      assert.deepEqual(await store.listUserPolicies("565656565656", "app"), []);
      assert.equal(await store.deleteUser("565656565656", "app"), false);
    });

    test("audit trail: contiguous appends, chains, queries, summaries, checkpoints, pruning under an anchor", async (t) => {
      if (!store.appendAudit || !store.auditChains || !store.listAuditChain || !store.listAuditCheckpoints || !store.queryAudit || !store.summarizeAudit || !store.pruneAudit) {
        return t.skip(`${store.kind} does not implement the audit methods yet`);
      }
      const key = Buffer.alloc(32, 7);
      const chain = `conf-${randomUUID().slice(0, 8)}`;
      const acct = "717171717171";
      const sec = (n: number) => `arn:aws:secretsmanager:us-east-1:${acct}:secret:${chain}-s${n}-abcdef`;
      const who = (n: number) => `arn:aws:iam::${acct}:user/${chain}-u${n}`;
      const recs: AuditRecord[] = [];
      let prev = GENESIS;
      for (let i = 1; i <= 30; i++) {
        const r = seal(key, chain, i, prev, {
          time: 10_000 + i * 10, requestId: `r${i}`, api: "secretsmanager", operation: i % 5 === 0 ? "DescribeSecret" : "GetSecretValue", accountId: acct,
          principalArn: who(i % 3), sourceIp: "10.0.0.1", userAgent: "conf", secretArn: sec(i % 2), secretName: `s${i % 2}`,
          outcome: i % 7 === 0 ? "denied" : "success", status: i % 7 === 0 ? 400 : 200, ...(i % 7 === 0 ? { errorCode: "AccessDeniedException" } : {}), durationMs: 0.25,
        });
        recs.push(r);
        prev = r.hash;
      }
      const cp = (seq: number, kind: AuditCheckpoint["kind"] = "checkpoint"): AuditCheckpoint => ({ kind, chain, seq, hash: recs[seq - 1]!.hash, time: 1, sig: "s" });
      await store.appendAudit({ records: recs.slice(0, 10), checkpoints: [cp(10)] });
      await store.appendAudit({ records: recs.slice(10, 30), checkpoints: [] });
      // A batch that does not follow the stored chain, and a seq already stored, are refused whole.
      await assert.rejects(store.appendAudit({ records: [{ ...recs[29]!, seq: 32 }], checkpoints: [] }));
      await assert.rejects(store.appendAudit({ records: [recs[29]!], checkpoints: [] }));
      const info = (await store.auditChains()).find((c) => c.chain === chain);
      assert.deepEqual(info, { chain, firstSeq: 1, lastSeq: 30, lastHash: recs[29]!.hash });
      const page = await store.listAuditChain(chain, 5, 10);
      assert.deepEqual(page.map((r) => r.seq), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      assert.deepEqual(page[0], JSON.parse(JSON.stringify(recs[5])), "a record round-trips field for field (absent fields absent)");
      assert.deepEqual(await store.listAuditCheckpoints(chain), [cp(10)]);

      const q = await store.queryAudit({ accountId: acct, secretArn: sec(1), outcome: "success", since: 10_050, until: 10_200, limit: 100 });
      assert.deepEqual(q.map((r) => r.seq), [19, 17, 15, 13, 11, 9, 5], "filters hold and the newest come first");
      const p1 = await store.queryAudit({ accountId: acct, principalArn: who(0), limit: 3 });
      const p2 = await store.queryAudit({ accountId: acct, principalArn: who(0), limit: 100, before: { time: p1.at(-1)!.time, chain, seq: p1.at(-1)!.seq } });
      assert.deepEqual([...p1, ...p2].map((r) => r.seq), [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);
      assert.deepEqual((await store.queryAudit({ accountId: acct, operations: ["DescribeSecret"], limit: 100 })).map((r) => r.seq), [30, 25, 20, 15, 10, 5]);
      assert.deepEqual(await store.queryAudit({ accountId: "000000000000", limit: 10 }), []);

      const readers = await store.summarizeAudit({ accountId: acct, groupBy: "principal", secretArn: sec(0), operations: ["GetSecretValue"], since: 10_000, limit: 10 });
      // sec(0): even seqs; GetSecretValue: not multiples of 5; success: not multiples of 7.
      const expect = (u: number) => recs.filter((r) => r.seq % 2 === 0 && r.seq % 5 !== 0 && r.seq % 7 !== 0 && r.seq % 3 === u);
      assert.deepEqual(readers, [0, 1, 2].map((u) => ({ key: who(u), last: Math.max(...expect(u).map((r) => r.time)), count: expect(u).length })).sort((a, b) => b.last - a.last));
      const bySecret = await store.summarizeAudit({ accountId: acct, groupBy: "secret", limit: 10 });
      assert.deepEqual(bySecret.map((r) => [r.key, r.name]), [[sec(0), "s0"], [sec(1), "s1"]]);

      assert.equal(await store.pruneAudit({ ...cp(20), kind: "anchor" }), 20);
      assert.deepEqual((await store.listAuditChain(chain, 0, 100)).map((r) => r.seq), Array.from({ length: 10 }, (_, i) => 21 + i));
      assert.deepEqual((await store.listAuditCheckpoints(chain)).map((c) => [c.kind, c.seq]), [["anchor", 20]]);
      // The chain goes on after the anchor.
      const next = seal(key, chain, 31, recs[29]!.hash, { ...recs[29]!, requestId: "r31" });
      await store.appendAudit({ records: [next], checkpoints: [] });
      assert.equal((await store.auditChains()).find((c) => c.chain === chain)?.lastSeq, 31);
    });

    test("audit trail at volume: queries and summaries agree with a scan, across batches, out-of-order times and a prune inside a batch", async (t) => {
      if (!store.appendAudit || !store.queryAudit || !store.summarizeAudit || !store.pruneAudit || !store.listAuditChain) return t.skip(`${store.kind} does not implement the audit methods yet`);
      const key = Buffer.alloc(32, 9);
      const chain = `vol-${randomUUID().slice(0, 8)}`;
      const acct = "727272727272";
      const recs: AuditRecord[] = [];
      let prev = GENESIS;
      // Times are not in seq order (a record carries its request's arrival); 5,000 records cross index groups of 4,096 seqs.
      for (let i = 1; i <= 5000; i++) {
        const r = seal(key, chain, i, prev, {
          time: 1_000_000 + ((i * 7919) % 5003), requestId: `r${i}`, api: "secretsmanager", operation: i % 4 === 0 ? "DescribeSecret" : "GetSecretValue",
          accountId: i % 50 === 0 ? "737373737373" : acct, principalArn: `arn:aws:iam::${acct}:user/${chain}-u${i % 5}`, sourceIp: "10.0.0.1", userAgent: "conf",
          ...(i % 9 === 0 ? {} : { secretArn: `arn:aws:secretsmanager:us-east-1:${acct}:secret:${chain}-s${i % 13}-abcdef`, secretName: `s${i % 13}` }),
          outcome: i % 11 === 0 ? "error" : "success", status: i % 11 === 0 ? 400 : 200, durationMs: (i % 100) / 7,
        });
        recs.push(r);
        prev = r.hash;
      }
      for (let i = 0; i < recs.length; i += 700) await store.appendAudit({ records: recs.slice(i, i + 700), checkpoints: [] });
      const newest = (rs: AuditRecord[]) => [...rs].sort((a, b) => b.time - a.time || (a.chain < b.chain ? 1 : a.chain > b.chain ? -1 : 0) || b.seq - a.seq);
      const ids = (rs: AuditRecord[]) => rs.map((r) => r.seq);
      const secretArn = `arn:aws:secretsmanager:us-east-1:${acct}:secret:${chain}-s3-abcdef`;
      const principalArn = `arn:aws:iam::${acct}:user/${chain}-u2`;
      const check = async (live: AuditRecord[]) => {
        const cases: [AuditQuery, (r: AuditRecord) => boolean][] = [
          [{ accountId: acct, secretArn, limit: 25 }, (r) => r.accountId === acct && r.secretArn === secretArn],
          [{ accountId: acct, principalArn, outcome: "error", limit: 1000 }, (r) => r.accountId === acct && r.principalArn === principalArn && r.outcome === "error"],
          [{ accountId: acct, operations: ["DescribeSecret"], since: 1_001_000, until: 1_002_000, limit: 40 }, (r) => r.accountId === acct && r.operation === "DescribeSecret" && r.time >= 1_001_000 && r.time <= 1_002_000],
          [{ accountId: "737373737373", limit: 7 }, (r) => r.accountId === "737373737373"],
        ];
        for (const [q, pred] of cases) {
          const want = newest(live.filter(pred));
          const got = await store.queryAudit!(q);
          assert.deepEqual(ids(got), ids(want.slice(0, q.limit)), JSON.stringify(q));
          // Paging with `before` walks the same order without gaps or repeats.
          let all: AuditRecord[] = [];
          for (let page = await store.queryAudit!({ ...q, limit: 333 }); page.length; ) {
            all = all.concat(page);
            const last = page.at(-1)!;
            page = await store.queryAudit!({ ...q, limit: 333, before: { time: last.time, chain: last.chain, seq: last.seq } });
          }
          assert.deepEqual(ids(all), ids(want), `paged ${JSON.stringify(q)}`);
        }
        const readers = await store.summarizeAudit!({ accountId: acct, groupBy: "principal", secretArn, operations: ["GetSecretValue"], since: 1_000_500, limit: 10 });
        const reads = live.filter((r) => r.accountId === acct && r.secretArn === secretArn && r.operation === "GetSecretValue" && r.outcome === "success" && r.time >= 1_000_500);
        const byWho = new Map<string, AuditRecord[]>();
        for (const r of reads) byWho.set(r.principalArn!, [...(byWho.get(r.principalArn!) ?? []), r]);
        assert.deepEqual(readers, [...byWho].map(([k, rs]) => ({ key: k, last: Math.max(...rs.map((r) => r.time)), count: rs.length })).sort((a, b) => b.last - a.last));
        const secrets = await store.summarizeAudit!({ accountId: acct, groupBy: "secret", limit: 100 });
        assert.equal(secrets.length, 13);
        assert.equal(secrets.reduce((n, r) => n + r.count, 0), live.filter((r) => r.accountId === acct && r.secretArn && r.outcome === "success").length);
      };
      await check(recs);
      // An anchor inside a batch: the batch keeps its records after the anchor, and they stay findable.
      assert.equal(await store.pruneAudit({ kind: "anchor", chain, seq: 4100, hash: recs[4099]!.hash, time: 1, sig: "s" }), 4100);
      assert.deepEqual(ids(await store.listAuditChain(chain, 0, 3)), [4101, 4102, 4103]);
      await check(recs.slice(4100));
    });

    test("committed data survives closing and reopening", async () => {
      const s = secret();
      await store.commit([
        { op: "insertSecret", secret: s },
        { op: "insertVersion", secretUid: s.uid, versionId: "v", createdAt: 1, kind: "string", sealed: sealed("durable") },
        { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v" },
      ]);
      store = await f.reopen();
      assert.deepEqual((await store.getVersionByStage(s.uid, "AWSCURRENT"))?.sealed, sealed("durable"));
    });
  });
}
