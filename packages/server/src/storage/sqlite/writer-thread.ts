import { parentPort, Worker, workerData } from "node:worker_threads";
import { openConnection, type ConnectionOptions } from "./connection.js";
import { SqliteWriter, type WriteOp, type WriteResult } from "./writer.js";

/*
 * The writer thread: owns the connection every write goes through, so that the fsync of a commit
 * never blocks the main thread's event loop. Writes that arrive while a batch is being written
 * are applied together in the next transaction (group commit). After each batch, and every
 * 50 ms, it publishes PRAGMA data_version of its connection — which moves only when another
 * process commits — for the main thread's read cache.
 *
 * Fail-closed audit records are made durable in per-chain journals (audit-journal.ts) and moved
 * into the database in the background: when a tenth of a second's worth has gathered, or
 * JOURNAL_RECORDS of them, after the answers of the batch that reached it have been sent, in steps
 * of MOVE_STEP records with the batches that arrive meanwhile written between them. WAL
 * checkpoints run on a checkpointer thread started here, never inside this thread's commits.
 */
const data = workerData as { options: ConnectionOptions; stamp: SharedArrayBuffer; auditChain?: string };
const db = openConnection(data.options);
const journaling = data.options.path !== ":memory:";
const writer = new SqliteWriter(db, journaling ? { journalFor: data.options.path, journalSync: data.options.synchronous !== "normal" } : {});
/**
 * WAL checkpoints run on a thread of their own (checkpoint-thread.ts), not inside this thread's
 * commits; should that thread end, this connection checkpoints again itself (SqliteWriter's
 * wal_autocheckpoint).
 */
const WRITER_AUTOCHECKPOINT = db.pragma("wal_autocheckpoint", { simple: true }) as number;
let checkpointer: Worker | undefined;
if (journaling) {
  checkpointer = new Worker(new URL("./checkpoint-thread.js", import.meta.url), { workerData: { options: data.options } });
  db.pragma("wal_autocheckpoint = 0");
  const restore = () => {
    checkpointer = undefined;
    if (db.open) db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT}`);
  };
  checkpointer.on("error", restore);
  checkpointer.on("exit", restore);
}
/** Journaled audit records moved into the database at once, at most this long after they were journaled. */
const JOURNAL_RECORDS = 1024;
const JOURNAL_MS = 100;
/**
 * Those moves commit without an fsync (their records stay durable in the journal); a synced
 * commit lets the journal start again once it holds this much, or this long after the first
 * unsynced move. An fsync of the growing WAL takes milliseconds, during which no seal is made
 * durable: a few a second instead of ten keeps them out of the answers' way.
 */
const JOURNAL_SYNC_BYTES = 2 << 20;
const JOURNAL_SYNC_MS = 1000;
// The server's own chain: what a crash left in its journal goes into the database before anything is read.
if (journaling && data.auditChain !== undefined) writer.run([{ op: "flushAudit", chain: data.auditChain, sync: true }]);
const stamp = new Int32Array(data.stamp);
const version = db.prepare("PRAGMA data_version").pluck();
const publish = () => Atomics.store(stamp, 0, version.get() as number);
publish();
/**
 * A move takes ~10 us per record (blocks, key index, commit), during which no batch is sealed:
 * moving a tenth of a second's worth at once held every waiting call for ~7 ms. Moves go in steps
 * of this many records, and the seal batches that arrive meanwhile are written between two steps.
 */
const MOVE_STEP = 128;
let moving = false;
let closing = false;
const storeJournaled = () => {
  if (moving) return;
  const b = writer.journalBacklog();
  const now = performance.now();
  const sync = b.unsyncedBytes >= JOURNAL_SYNC_BYTES || now - b.unsyncedSince >= JOURNAL_SYNC_MS;
  if (sync || (b.blocks && (b.records >= JOURNAL_RECORDS || now - b.since >= JOURNAL_MS))) {
    moving = true;
    moveStep(sync, b);
  }
};
/** One step; the next one after the messages that arrived meanwhile (setImmediate runs after the poll phase that delivers them). */
function moveStep(sync: boolean, b = writer.journalBacklog()): void {
  // Only the step that leaves nothing pending is synced: before that the journal cannot start again anyway.
  const last = b.records <= MOVE_STEP;
  // A failure leaves the records journaled; the reads' flushAudit reports it.
  const [r] = writer.run([{ op: "flushAudit", sync: sync && last, limit: MOVE_STEP }]);
  publish();
  if (r!.ok && !last && !closing) setImmediate(() => moveStep(sync));
  else moving = false;
}
const timer = setInterval(() => {
  publish();
  storeJournaled();
}, 50);

let queue: { id: number; w: WriteOp }[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const results: WriteResult[] = writer.run(batch.map((b) => b.w));
  publish();
  parentPort!.postMessage(batch.map((b, i) => ({ id: b.id, result: results[i]! })));
  if (journaling) storeJournaled();
}

parentPort!.on("message", (m: { id: number; w: WriteOp } | { close: true }) => {
  if ("close" in m) {
    closing = true;
    if (queue.length) flush();
    clearInterval(timer);
    checkpointer?.postMessage({ close: true });
    try {
      writer.closeJournals();
    } catch {
      // Left journaled: stored on the next start.
    }
    db.close();
    // Closing the port lets the thread end once the answers above are delivered.
    parentPort!.close();
    return;
  }
  queue.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
