import { parentPort, workerData } from "node:worker_threads";
import { openConnection, type ConnectionOptions } from "./connection.js";

/*
 * The WAL checkpointer: copies committed WAL frames into the database file on a connection of its
 * own, every CHECKPOINT_MS, so that the writer thread (whose connection has wal_autocheckpoint off
 * while this thread runs) never checkpoints inside a commit. A checkpoint of a few thousand pages
 * takes tens of milliseconds; inside the writer's commit it held every write, and every
 * fail-closed call waiting for its audit seal, that long. PASSIVE: it never waits for, or holds
 * up, the writer or the readers; frames it cannot copy yet are copied by a later run. Once a run
 * has copied them all, the writer's next transaction starts the WAL again from its beginning.
 */
const CHECKPOINT_MS = 200;
const data = workerData as { options: ConnectionOptions };
const db = openConnection(data.options);
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch {
    // SQLITE_BUSY and the like: the next run tries again (and the writer's own checkpoints return if this thread ends).
  }
}, CHECKPOINT_MS);
parentPort!.on("message", (m: { close: true }) => {
  if (!m.close) return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
