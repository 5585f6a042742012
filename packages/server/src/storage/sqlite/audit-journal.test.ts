import { test } from "node:test";
import assert from "node:assert/strict";
import { openSync, readFileSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { GENESIS, seal } from "../../audit/chain.js";
import type { AuditEntry, AuditRecord } from "../../audit/records.js";
import { ChainVerifier } from "../../audit/verify.js";
import { tempDir } from "../../testing/harness.js";
import { encodeBlock, encodeEntries } from "./audit-blocks.js";
import { AuditJournal, JOURNAL_PREALLOCATE, journalLine, journalPath, readJournal } from "./audit-journal.js";
import { SqliteAuditReader } from "./audit-reader.js";
import { migrate, openConnection } from "./connection.js";
import { SqliteWriter, type WriteOp } from "./writer.js";

const key = Buffer.alloc(32, 5);
const entry = (i: number): AuditEntry => ({
  time: 1_000 + i, requestId: `req-${i}`, api: "secretsmanager", operation: "GetSecretValue", accountId: "111122223333",
  principalArn: "arn:aws:iam::111122223333:user/u", accessKeyId: "KSAK", region: "us-east-1", sourceIp: "127.0.0.1", userAgent: "ua",
  secretArn: `arn:aws:secretsmanager:us-east-1:111122223333:secret:s${i % 7}-abcdef`, secretName: `s${i % 7}`, versionId: "v", versionStage: "AWSCURRENT",
  outcome: "success", status: 200, durationMs: 0.5,
});

/** Records 1..n of chain c, as seal() makes them. */
function chainOf(n: number, c = "c1"): AuditRecord[] {
  let prev = GENESIS;
  return Array.from({ length: n }, (_, i) => {
    const r = seal(key, c, i + 1, prev, entry(i));
    prev = r.hash;
    return r;
  });
}

/** Lines of blocks of `size` records each. */
const linesOf = (records: AuditRecord[], size: number) => {
  const out: string[] = [];
  for (let i = 0; i < records.length; i += size) out.push(journalLine(encodeBlock(records.slice(i, i + size)), []));
  return out;
};

test("journal: lines are read back in order, up to a torn last line, and new lines follow the intact ones", () => {
  const dir = tempDir();
  try {
    const path = join(dir, "j.journal");
    const recs = chainOf(30);
    const lines = linesOf(recs, 10);
    const j = new AuditJournal(path, "c1");
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(path).size, JOURNAL_PREALLOCATE, "preallocated, so that appends change no file size");
    j.append(lines[0]! + lines[1]!);
    // A crash in the middle of the third line's write: half of it reaches the file.
    const fd = openSync(path, "r+");
    const off = Buffer.byteLength(lines[0]! + lines[1]!);
    writeSync(fd, Buffer.from(lines[2]!.slice(0, 200)), 0, 200, off);
    closeSync(fd);
    j.close();

    const again = new AuditJournal(path, "c1");
    assert.deepEqual(again.leftover.map((b) => [b.block.firstSeq, b.block.lastSeq]), [[1, 10], [11, 20]]);
    again.append(lines[2]!);
    again.close();
    const third = new AuditJournal(path, "c1");
    assert.deepEqual(third.leftover.map((b) => [b.block.firstSeq, b.block.lastSeq]), [[1, 10], [11, 20], [21, 30]]);
    assert.equal(third.leftover[2]!.block.records, encodeBlock(recs.slice(20)).records);
    third.close();
    // synchronous=normal: written without fdatasync, still there for the next process (the page cache survives a killed process).
    const unsynced = new AuditJournal(join(dir, "n.journal"), "c1", false);
    unsynced.append(lines[0]!);
    const reread = new AuditJournal(join(dir, "n.journal"), "c1");
    assert.deepEqual(reread.leftover.map((b) => b.block.lastSeq), [10]);
    reread.close();
    unsynced.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("journal: after it starts again, older lines beyond the new ones are not read; a damaged line ends the journal", () => {
  const recs = chainOf(40);
  const lines = linesOf(recs, 10);
  // Round one wrote records 1-30; round two (after clear) wrote 31-40 over the start of it.
  const bytes = Buffer.concat([Buffer.from(lines[0]! + lines[1]! + lines[2]!), Buffer.alloc(100)]);
  const second = Buffer.from(lines[3]!);
  second.copy(bytes, 0);
  assert.deepEqual(readJournal(bytes, "c1").map((b) => [b.block.firstSeq, b.block.lastSeq]), [[31, 40]]);
  // A line boundary that happens to fall on an old line: it does not continue the new one.
  const aligned = Buffer.from(lines[3]! + lines[1]!);
  assert.deepEqual(readJournal(aligned, "c1").map((b) => b.block.firstSeq), [31]);
  // A flipped byte in the second line: the checksum stops the reading there.
  const damaged = Buffer.from(lines[0]! + lines[1]! + lines[2]!);
  const at = Buffer.byteLength(lines[0]!) + 120;
  damaged[at] = damaged[at] === 0x41 ? 0x42 : 0x41;
  assert.deepEqual(readJournal(damaged, "c1").map((b) => b.block.firstSeq), [1]);
  assert.deepEqual(readJournal(Buffer.alloc(64), "c1"), []);
  // Lines of another chain are not this journal's (a file copied or renamed by hand).
  assert.deepEqual(readJournal(Buffer.from(lines[0]!), "c2"), []);
});

/** A writer that journals (as the server's writer thread does), on a database in `dir`. */
function journalingWriter(dir: string) {
  const path = join(dir, "k.db");
  const db = openConnection({ path });
  migrate(db);
  return { db, path, writer: new SqliteWriter(db, { journalFor: path }), reader: new SqliteAuditReader(db) };
}

const sealOp = (from: number, n: number, checkpoint = false): WriteOp => ({
  op: "sealAudit", key: key.toString("hex"), chain: "c1", entries: encodeEntries(Array.from({ length: n }, (_, i) => entry(from + i))), checkpointEvery: 1000, checkpoint, time: 5,
});

test("journaling writer: a seal is durable in the journal at once and in the database after flushAudit; the records are those seal() makes", () => {
  const dir = tempDir();
  try {
    const { db, path, writer, reader } = journalingWriter(dir);
    const r = writer.run([sealOp(0, 10), sealOp(10, 15, true)]);
    assert.ok(r.every((x) => x.ok));
    assert.deepEqual(reader.listChain("c1", 0, 100), [], "not in the database yet");
    assert.ok(readFileSync(journalPath(path, "c1")).includes("req-24"), "in the journal");
    assert.deepEqual(writer.journalBacklog().records, 25);
    assert.ok(writer.run([{ op: "flushAudit" }])[0]!.ok);
    assert.deepEqual(writer.journalBacklog().records, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(reader.listChain("c1", 0, 100))), JSON.parse(JSON.stringify(chainOf(25))));
    assert.equal(reader.checkpoints("c1").at(-1)?.seq, 25);
    // The journal starts again: the next seals continue the chain.
    assert.ok(writer.run([sealOp(25, 5)])[0]!.ok);
    assert.ok(writer.run([{ op: "flushAudit" }])[0]!.ok);
    const all = reader.listChain("c1", 0, 100);
    assert.deepEqual(JSON.parse(JSON.stringify(all)), JSON.parse(JSON.stringify(chainOf(30))));
    const v = new ChainVerifier(key, "c1", reader.checkpoints("c1"));
    for (const rec of all) assert.ok(v.push(rec), JSON.stringify(v.problem));
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("journaling writer: what a killed writer journaled is stored on the next start, once, and sealing goes on after it", () => {
  const dir = tempDir();
  try {
    const first = journalingWriter(dir);
    assert.ok(first.writer.run([sealOp(0, 8)])[0]!.ok);
    assert.ok(first.writer.run([{ op: "flushAudit" }])[0]!.ok);
    assert.ok(first.writer.run([sealOp(8, 7)])[0]!.ok);
    assert.ok(first.writer.run([sealOp(15, 5)])[0]!.ok);
    // Killed: no flush, no close of the journal; the database connection simply goes away.
    first.db.close();

    const second = journalingWriter(dir);
    assert.deepEqual(second.reader.listChain("c1", 0, 100).length, 8);
    assert.ok(second.writer.run([{ op: "flushAudit", chain: "c1" }])[0]!.ok);
    assert.equal(second.reader.listChain("c1", 0, 100).length, 20);
    assert.ok(second.writer.run([sealOp(20, 3)])[0]!.ok);
    second.db.close();

    // Killed again before storing; and this time the journal had also been stored already once (a lost emptying).
    const third = journalingWriter(dir);
    assert.ok(third.writer.run([{ op: "flushAudit", chain: "c1" }])[0]!.ok);
    assert.ok(third.writer.run([{ op: "flushAudit", chain: "c1" }])[0]!.ok);
    third.writer.closeJournals();
    third.db.close();
    const fourth = journalingWriter(dir);
    assert.ok(fourth.writer.run([{ op: "flushAudit", chain: "c1" }])[0]!.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(fourth.reader.listChain("c1", 0, 100))), JSON.parse(JSON.stringify(chainOf(23))));
    fourth.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("journaling writer: while the database refuses records, seals are refused too (nothing more is journaled), and resume once it takes them", () => {
  const dir = tempDir();
  try {
    const { db, writer, reader } = journalingWriter(dir);
    assert.ok(writer.run([sealOp(0, 4)])[0]!.ok);
    db.exec(`CREATE TRIGGER down BEFORE INSERT ON audit_blocks BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const f = writer.run([{ op: "flushAudit" }])[0]!;
    assert.ok(!f.ok && /cannot be stored: disk full/.test(f.message));
    const refused = writer.run([sealOp(4, 4)])[0]!;
    assert.ok(!refused.ok, "refused while the journal cannot be stored");
    db.exec(`DROP TRIGGER down`);
    assert.ok(writer.run([sealOp(4, 4)])[0]!.ok);
    assert.ok(writer.run([{ op: "flushAudit" }])[0]!.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(reader.listChain("c1", 0, 100))), JSON.parse(JSON.stringify(chainOf(8))), "no gap: the refused batch took no seqs");
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("journaling writer: a move without sync keeps the journal (its commit may be lost to a power cut) until a synced one lets it start again", () => {
  const dir = tempDir();
  try {
    const first = journalingWriter(dir);
    assert.ok(first.writer.run([sealOp(0, 10)])[0]!.ok);
    assert.ok(first.writer.run([{ op: "flushAudit" }])[0]!.ok);
    assert.equal(first.reader.listChain("c1", 0, 100).length, 10, "readable at once");
    assert.equal(first.db.pragma("synchronous", { simple: true }), 2, "the connection is back to synchronous=full");
    const b = first.writer.journalBacklog();
    assert.equal(b.records, 0);
    assert.ok(b.unsyncedBytes > 0, "the journal keeps what the unsynced commit stored");
    assert.equal(readJournal(readFileSync(journalPath(first.path, "c1")), "c1").length, 1);
    assert.ok(first.writer.run([sealOp(10, 5)])[0]!.ok);
    first.db.close();

    // The machine lost the unsynced commit: the database has none of the records, the journal has them all.
    const lost = openConnection({ path: first.path });
    lost.exec("DELETE FROM audit_blocks; DELETE FROM audit_keys");
    lost.close();
    const second = journalingWriter(dir);
    assert.ok(second.writer.run([{ op: "flushAudit", chain: "c1", sync: true }])[0]!.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(second.reader.listChain("c1", 0, 100))), JSON.parse(JSON.stringify(chainOf(15))));
    assert.equal(second.writer.journalBacklog().unsyncedBytes, 0, "after a synced commit the journal starts again");

    // A sync with nothing new to store still syncs what an earlier move stored, then lets the journal start again.
    assert.ok(second.writer.run([sealOp(15, 5)])[0]!.ok);
    assert.ok(second.writer.run([{ op: "flushAudit" }])[0]!.ok);
    assert.ok(second.writer.journalBacklog().unsyncedBytes > 0);
    assert.ok(second.writer.run([{ op: "flushAudit", sync: true }])[0]!.ok);
    assert.equal(second.writer.journalBacklog().unsyncedBytes, 0);
    assert.ok(second.writer.run([sealOp(20, 2)])[0]!.ok);
    assert.equal(readJournal(readFileSync(journalPath(second.path, "c1")), "c1")[0]!.block.firstSeq, 21, "the journal started again");
    second.writer.closeJournals();
    assert.equal(second.reader.listChain("c1", 0, 100).length, 22);
    second.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("journaling writer: a move with a limit stores the oldest whole blocks and keeps the rest pending; the journal starts again only once nothing is", () => {
  const dir = tempDir();
  try {
    const first = journalingWriter(dir);
    for (const from of [0, 10, 20]) assert.ok(first.writer.run([sealOp(from, 10)])[0]!.ok);
    // 15 records asked for: the first two blocks, whole; the third stays pending.
    assert.ok(first.writer.run([{ op: "flushAudit", limit: 15 }])[0]!.ok);
    assert.equal(first.reader.listChain("c1", 0, 100).length, 20);
    assert.equal(first.writer.journalBacklog().records, 10);
    assert.ok(first.writer.journalBacklog().unsyncedBytes > 0, "stored by an unsynced commit");
    // Even a synced step keeps every line while some are pending (the journal only starts again from its first byte).
    assert.ok(first.writer.run([sealOp(30, 5)])[0]!.ok);
    assert.ok(first.writer.run([{ op: "flushAudit", sync: true, limit: 5 }])[0]!.ok);
    assert.equal(first.reader.listChain("c1", 0, 100).length, 30);
    assert.equal(readJournal(readFileSync(journalPath(first.path, "c1")), "c1").length, 4);
    first.db.close();

    // Killed, and the machine lost what the database had not synced: the journal restores it all, once.
    const lost = openConnection({ path: first.path });
    lost.exec("DELETE FROM audit_blocks WHERE first_seq > 20");
    lost.close();
    const second = journalingWriter(dir);
    assert.ok(second.writer.run([{ op: "flushAudit", chain: "c1", sync: true, limit: 8 }])[0]!.ok);
    assert.equal(second.reader.listChain("c1", 0, 100).length, 30, "the first pending block, whole");
    assert.equal(second.writer.journalBacklog().records, 5);
    assert.ok(second.writer.run([{ op: "flushAudit", sync: true, limit: 8 }])[0]!.ok);
    const b = second.writer.journalBacklog();
    assert.equal(b.records, 0);
    assert.equal(b.unsyncedBytes, 0, "nothing pending after a synced step: the journal starts again");
    assert.ok(second.writer.run([sealOp(35, 2)])[0]!.ok);
    assert.equal(readJournal(readFileSync(journalPath(second.path, "c1")), "c1")[0]!.block.firstSeq, 36);
    second.writer.closeJournals();
    const all = second.reader.listChain("c1", 0, 100);
    assert.deepEqual(JSON.parse(JSON.stringify(all)), JSON.parse(JSON.stringify(chainOf(37))));
    const v = new ChainVerifier(key, "c1", second.reader.checkpoints("c1"));
    for (const rec of all) assert.ok(v.push(rec), JSON.stringify(v.problem));
    second.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
