import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { CLI, runProcess, tempDir } from "../testing/harness.js";
import { AuditLog } from "./audit-log.js";
import { GENESIS, loadAuditKey } from "./chain.js";
import type { AuditEntry, AuditRecord } from "./records.js";
import { rewriteStoredTrail } from "../testing/audit-tamper.js";
import { FileSink } from "./sinks/file-sink.js";
import { StoreSink } from "./sinks/store-sink.js";

/*
 * Tamper tests: a trail written by the real AuditLog into the real SQLite store and a file
 * sink, then altered behind its back (the database file opened directly, the log file edited
 * as text); `keyshift audit verify` must fail and name the first altered record each time.
 */

function entry(i: number): AuditEntry {
  return {
    time: 1_700_000_000_000 + i, requestId: `req-${i}`, api: "secretsmanager", operation: i % 3 ? "GetSecretValue" : "DescribeSecret",
    accountId: "111122223333", principalArn: `arn:aws:iam::111122223333:user/u${i % 7}`, accessKeyId: "KSAKTESTTESTTEST0001", region: "us-east-1",
    sourceIp: "127.0.0.1", userAgent: "tamper-test", secretArn: `arn:aws:secretsmanager:us-east-1:111122223333:secret:s${i % 11}-abcdef`,
    secretName: `s${i % 11}`, versionId: `v-${i}`, versionStage: "AWSCURRENT", outcome: "success", status: 200, durationMs: 0.123,
  };
}

/** Writes `n` records through an AuditLog (store sink, and a file sink if `file`) into `dir`. */
async function writeTrail(dir: string, n: number, file?: string, checkpointEvery = 100, chunk = 5000): Promise<void> {
  const key = loadAuditKey(join(dir, "audit.key"), true);
  const store = new SqliteStore({ path: join(dir, "keyshift.db"), synchronous: "normal" });
  let log: AuditLog | undefined;
  const sinks = [new StoreSink(store, key), ...(file ? [new FileSink({ path: file, maxBytes: 64 * 1024, maxFiles: 100, fsync: false, anchor: (s, h) => log!.anchor(s, h) })] : [])];
  log = new AuditLog({ key, chain: "local", head: { seq: 0, hash: GENESIS }, mode: "fail-closed", sinks, checkpointEvery, checkpointMs: 3600_000, maxBatch: 5000, maxQueue: 1e6, clock: () => 1_700_000_000_000 + n, onError: (e) => { throw e; } });
  const waits: Promise<void>[] = [];
  for (let i = 1; i <= n; i++) {
    waits.push(log.append(entry(i))!);
    if (i % chunk === 0) await Promise.all(waits.splice(0));
  }
  await Promise.all(waits);
  await log.close();
  await store.close();
}

async function verify(dir: string, file?: string): Promise<{ code: number | null; report: { ok: boolean; records: number; seconds: number; chains: { problem?: { seq?: number; at: string; reason: string } }[]; problem?: { at: string } }; stderr: string }> {
  const r = await runProcess(process.execPath, [CLI, "audit", "verify", "--data-dir", dir, ...(file ? ["--file", file] : [])], { PATH: process.env.PATH, KEYSHIFT_LOG_LEVEL: "silent" }, 120_000);
  return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
}

function firstBad(r: Awaited<ReturnType<typeof verify>>): { seq?: number; at: string; reason: string } {
  assert.equal(r.code, 1, `verify should fail: ${r.stderr}`);
  const p = r.report.problem ?? r.report.chains.find((c) => c.problem)?.problem;
  assert.ok(p, "a problem is reported");
  return p as { seq?: number; at: string; reason: string };
}

describe("audit trail in the store: tampering is detected at the first altered record", () => {
  const N = 1000;
  let pristine: string;
  before(async () => {
    pristine = tempDir("keyshift-audit-tamper-");
    await writeTrail(pristine, N);
  });
  after(() => rmSync(pristine, { recursive: true, force: true }));

  /** A copy of the pristine data dir, altered by `alter` through a direct SQLite connection. */
  async function tampered(alter: (db: Database.Database) => void): Promise<string> {
    const dir = tempDir("keyshift-audit-tamper-");
    const src = new Database(join(pristine, "keyshift.db"));
    await src.backup(join(dir, "keyshift.db"));
    src.close();
    writeFileSync(join(dir, "audit.key"), readFileSync(join(pristine, "audit.key")), { mode: 0o600 });
    const db = new Database(join(dir, "keyshift.db"));
    alter(db);
    db.close();
    return dir;
  }

  /** An alteration of the stored records (decoded, changed, written back as well-formed blocks). */
  const records = (f: (rs: AuditRecord[]) => AuditRecord[]) => (db: Database.Database) => rewriteStoredTrail(db, f);

  test("an untouched trail verifies", async () => {
    const r = await verify(pristine);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.ok, true);
    assert.equal(r.report.records, N);
  });

  test("an edited record is named", async () => {
    const dir = await tampered(records((rs) => rs.map((r) => (r.seq === 417 ? { ...r, principalArn: "arn:aws:iam::111122223333:user/nobody" } : r))));
    const p = firstBad(await verify(dir));
    assert.equal(p.seq, 417);
    assert.match(p.reason, /does not match its hash/);
  });

  test("an edit with the hash recomputed without the key is named", async () => {
    const dir = await tampered(records((rs) => rs.map((r) => (r.seq === 55 ? { ...r, outcome: "denied", hash: "f".repeat(64) } : r))));
    assert.equal(firstBad(await verify(dir)).seq, 55);
  });

  test("a deleted record is found where the gap is", async () => {
    const dir = await tampered(records((rs) => rs.filter((r) => r.seq !== 600)));
    const p = firstBad(await verify(dir));
    assert.equal(p.seq, 601);
    assert.match(p.reason, /deleted/);
  });

  test("an inserted record is named", async () => {
    // Make room after seq 300 and insert a copy of record 10 rewritten as seq 301.
    const dir = await tampered(records((rs) => [
      ...rs.filter((r) => r.seq <= 300),
      { ...rs.find((r) => r.seq === 10)!, seq: 301, requestId: "forged" },
      ...rs.filter((r) => r.seq > 300).map((r) => ({ ...r, seq: r.seq + 1 })),
    ]));
    const p = firstBad(await verify(dir));
    assert.equal(p.seq, 301);
  });

  test("reordered records are named", async () => {
    const dir = await tampered(records((rs) => rs.map((r) => (r.seq === 250 ? { ...r, seq: 251 } : r.seq === 251 ? { ...r, seq: 250 } : r)).sort((a, b) => a.seq - b.seq)));
    assert.equal(firstBad(await verify(dir)).seq, 250);
  });

  test("records removed at the head are found", async () => {
    const dir = await tampered(records((rs) => rs.filter((r) => r.seq > 3)));
    const p = firstBad(await verify(dir));
    assert.equal(p.seq, 4);
    assert.match(p.reason, /earlier records were removed/);
  });

  test("a tail cut below a signed checkpoint is found", async () => {
    const dir = await tampered(records((rs) => rs.filter((r) => r.seq <= 850)));
    const p = firstBad(await verify(dir));
    assert.equal(p.seq, 851);
    assert.match(p.reason, /tail removed/);
  });

  test("a forged checkpoint is found", async () => {
    const dir = await tampered((db) => db.prepare(`UPDATE audit_checkpoints SET seq = 2000 WHERE seq = 1000`).run());
    const p = firstBad(await verify(dir));
    assert.match(p.reason, /signature does not verify/);
  });
});

describe("audit trail in a file sink: tampering is detected at the first altered line", () => {
  let dir: string;
  let file: string;
  let lines: string[];
  before(async () => {
    dir = tempDir("keyshift-audit-file-");
    file = join(dir, "audit.log");
    // Small files: the log rotates several times, each new file starts with a signed anchor.
    await writeTrail(dir, 600, file, 50, 20);
    lines = readFileSync(file, "utf8").split("\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const alter = async (f: (ls: string[]) => string[]): Promise<ReturnType<typeof verify>> => {
    writeFileSync(file, f([...lines]).join("\n"));
    try {
      return await verify(dir, file);
    } finally {
      writeFileSync(file, lines.join("\n"));
    }
  };
  const recordLine = (ls: string[], seq: number) => ls.findIndex((l) => l.includes(`"seq":${seq},`) && l.startsWith(`{"audit":`));
  const firstSeq = () => (JSON.parse(lines.find((l) => l.startsWith(`{"audit":`))!) as { audit: { seq: number } }).audit.seq;

  test("the untouched rotated log verifies", async () => {
    assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`), "the log rotated by size");
    assert.ok(lines[0]!.startsWith(`{"auditCheckpoint":{"kind":"anchor"`), "a rotated-to file starts with a signed anchor");
    const r = await verify(dir, file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.records, 600);
  });

  test("an edited line is named", async () => {
    const s = firstSeq() + 5;
    const p = firstBad(await alter((ls) => {
      const i = recordLine(ls, s);
      ls[i] = ls[i]!.replace(`"outcome":"success"`, `"outcome":"denied"`);
      return ls;
    }));
    assert.equal(p.seq, s);
    assert.match(p.at, /^audit\.log:\d+/);
  });

  test("a deleted line is found where the gap is", async () => {
    const s = firstSeq() + 7;
    const p = firstBad(await alter((ls) => ls.filter((_, i) => i !== recordLine(ls, s))));
    assert.equal(p.seq, s + 1);
  });

  test("an inserted line (a replayed record) is named", async () => {
    const s = firstSeq() + 3;
    const p = firstBad(await alter((ls) => {
      const i = recordLine(ls, s);
      ls.splice(i + 1, 0, ls[recordLine(ls, firstSeq())]!);
      return ls;
    }));
    assert.equal(p.seq, firstSeq());
    assert.match(p.reason, /inserted or moved/);
  });

  test("swapped lines are named", async () => {
    const s = firstSeq() + 10;
    const p = firstBad(await alter((ls) => {
      const i = recordLine(ls, s);
      const j = recordLine(ls, s + 1);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      return ls;
    }));
    assert.equal(p.seq, s + 1);
  });
});

test("keyshift audit verify passes on an untouched trail of 100,000 records in under 10 seconds", async () => {
  const dir = tempDir("keyshift-audit-100k-");
  try {
    await writeTrail(dir, 100_000, undefined, 1000);
    const r = await verify(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.records, 100_000);
    console.log(`# audit verify: 100,000 records in ${r.report.seconds.toFixed(2)} s (verification alone, reported by the CLI)`);
    assert.ok(r.report.seconds < 10, `took ${r.report.seconds} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
