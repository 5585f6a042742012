import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { isServiceError } from "@keyshift/protocol";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { tempDir } from "../testing/harness.js";
import { rewriteStoredTrail } from "../testing/audit-tamper.js";
import { AuditLog, type AuditLogOptions } from "./audit-log.js";
import { GENESIS } from "./chain.js";
import { parseLine } from "./lines.js";
import type { AuditCheckpoint, AuditEntry, AuditRecord } from "./records.js";
import { pruneAuditTrail } from "./retention.js";
import { HttpSink } from "./sinks/http-sink.js";
import type { AuditSink } from "./sinks/sink.js";
import { StdoutSink } from "./sinks/stdout-sink.js";
import { StoreSink } from "./sinks/store-sink.js";
import { verifyStoreTrail } from "./verify-trail.js";
import { ChainVerifier } from "./verify.js";

const key = randomBytes(32);

function entry(i: number, time = 1_700_000_000_000 + i): AuditEntry {
  return { time, requestId: `r${i}`, api: "secretsmanager", operation: "GetSecretValue", sourceIp: "127.0.0.1", userAgent: "t", outcome: "success", status: 200, durationMs: 1 };
}

/** A sink that keeps what it took and refuses, like the store, a batch that does not follow it; `down` makes it fail. */
class MemorySink implements AuditSink {
  readonly name = "memory";
  readonly durable = true;
  records: AuditRecord[] = [];
  checkpoints: AuditCheckpoint[] = [];
  writes = 0;
  down = false;
  async write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 2));
    this.writes++;
    if (this.down) throw new Error("sink down");
    const last = this.records.at(-1);
    if (records[0] && records[0].prevHash !== (last?.hash ?? GENESIS)) throw new Error("not contiguous");
    this.records.push(...records);
    this.checkpoints.push(...checkpoints);
  }
  async close(): Promise<void> {}
}

function log(sinks: AuditSink[], o: Partial<AuditLogOptions> = {}): AuditLog {
  return new AuditLog({
    key, chain: "c", head: { seq: 0, hash: GENESIS }, mode: "fail-closed", sinks, checkpointEvery: 100, checkpointMs: 3600_000,
    maxBatch: 1000, maxQueue: 10_000, clock: () => 1_700_000_000_000, onError: () => undefined, ...o,
  });
}

function verifies(sink: MemorySink): void {
  const v = new ChainVerifier(key, "c", sink.checkpoints);
  for (const r of sink.records) assert.ok(v.push(r), JSON.stringify(v.problem));
  assert.equal(v.finish().problem, undefined);
}

test("records of one turn share one write (group commit) and chain from seq 1", async () => {
  const sink = new MemorySink();
  const l = log([sink]);
  await Promise.all(Array.from({ length: 500 }, (_, i) => l.append(entry(i))));
  assert.ok(sink.writes <= 2, `${sink.writes} writes for 500 records`);
  assert.deepEqual(sink.records.map((r) => r.seq), Array.from({ length: 500 }, (_, i) => i + 1));
  await l.close();
  verifies(sink);
  assert.equal(sink.checkpoints.at(-1)?.seq, 500, "close seals the chain with a checkpoint");
});

test("fail-closed: a failed write refuses its calls with a ServiceError and leaves no gap in the chain", async () => {
  const sink = new MemorySink();
  const l = log([sink]);
  await Promise.all([l.append(entry(1)), l.append(entry(2))]);
  sink.down = true;
  // Several batches in flight while the sink is down: all refused, none leaves a hole.
  const failed = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => new Promise((r) => setTimeout(r, i % 3)).then(() => l.append(entry(10 + i)))));
  assert.ok(failed.every((f) => f.status === "rejected" && isServiceError(f.reason) && f.reason.code === "InternalServiceError"));
  sink.down = false;
  await Promise.all(Array.from({ length: 20 }, (_, i) => l.append(entry(100 + i))));
  assert.deepEqual(sink.records.map((r) => r.seq), Array.from({ length: 22 }, (_, i) => i + 1));
  assert.ok(l.stats.failedWrites >= 1);
  await l.close();
  verifies(sink);
});

test("best-effort: calls are never held; a failed write is counted as dropped", async () => {
  const sink = new MemorySink();
  const l = log([sink], { mode: "best-effort" });
  sink.down = true;
  assert.equal(l.append(entry(1)), undefined);
  await l.flush();
  assert.equal(l.stats.dropped, 1);
  sink.down = false;
  l.append(entry(2));
  await l.flush();
  assert.deepEqual(sink.records.map((r) => r.requestId), ["r2"]);
  await l.close();
  verifies(sink);
});

test("the stdout sink writes the file sink's JSON lines", async () => {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  const l = log([new MemorySink(), new StdoutSink(out)]);
  await l.append(entry(1));
  await l.close();
  const lines = text.trim().split("\n").map(parseLine);
  assert.ok("record" in lines[0]! && lines[0].record.seq === 1);
  assert.ok(lines.some((x) => "checkpoint" in x));
});

test("the HTTP sink retries after the collector answers 500, in order", async () => {
  const got: { Records: AuditRecord[] }[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      if (++calls === 1) return void res.writeHead(500).end();
      got.push(JSON.parse(b) as { Records: AuditRecord[] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const http = new HttpSink({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, batchSize: 10, flushMs: 10, timeoutMs: 2000, maxBuffer: 1000, headers: {}, onError: () => undefined });
    const sink = new MemorySink();
    const l = log([sink, http]);
    await Promise.all(Array.from({ length: 25 }, (_, i) => l.append(entry(i))));
    const end = Date.now() + 5000;
    while (http.delivered < 25 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(http.delivered, 25);
    assert.ok(calls >= 2);
    assert.deepEqual(got.flatMap((g) => g.Records.map((r) => r.seq)), Array.from({ length: 25 }, (_, i) => i + 1));
    await l.close();
  } finally {
    server.close();
  }
});

test("retention deletes old records under a signed anchor; the rest still verifies, a removed head record does not", async () => {
  const dir = tempDir("keyshift-audit-retention-");
  const store = new SqliteStore({ path: join(dir, "keyshift.db"), synchronous: "normal" });
  try {
    const l = log([new StoreSink(store)], { chain: "local", checkpointEvery: 50 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => l.append(entry(i + 1, 1000 * (i + 1)))));
    await l.flush();
    const deleted = await pruneAuditTrail(store, l, "local", 1000 * 120 + 1);
    assert.equal(deleted, 120);
    await Promise.all(Array.from({ length: 10 }, (_, i) => l.append(entry(400 + i, 500_000 + i))));
    await l.close();
    const ok = await verifyStoreTrail(store, key);
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(ok.chains[0]!.firstSeq, 121);
    assert.equal(ok.records, 190);
    await store.close();
    const db = new (await import("better-sqlite3")).default(join(dir, "keyshift.db"));
    rewriteStoredTrail(db, (rs) => rs.filter((r) => r.seq !== 121));
    db.close();
    const reopened = new SqliteStore({ path: join(dir, "keyshift.db") });
    const bad = await verifyStoreTrail(reopened, key);
    await reopened.close();
    assert.equal(bad.ok, false);
    assert.equal(bad.chains[0]!.problem?.seq, 122);
  } finally {
    await store.close().catch(() => undefined);
  }
});
