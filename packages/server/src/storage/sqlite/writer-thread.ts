import { parentPort, workerData } from "node:worker_threads";
import { openConnection, type ConnectionOptions } from "./connection.js";
import { SqliteWriter, type WriteOp, type WriteResult } from "./writer.js";

/*
 * The writer thread: owns the connection every write goes through, so that the fsync of a commit
 * never blocks the main thread's event loop. Writes that arrive while a batch is being written
 * are applied together in the next transaction (group commit). After each batch, and every
 * 50 ms, it publishes PRAGMA data_version of its connection — which moves only when another
 * process commits — for the main thread's read cache.
 */
const data = workerData as { options: ConnectionOptions; stamp: SharedArrayBuffer };
const db = openConnection(data.options);
const writer = new SqliteWriter(db);
const stamp = new Int32Array(data.stamp);
const version = db.prepare("PRAGMA data_version").pluck();
const publish = () => Atomics.store(stamp, 0, version.get() as number);
publish();
const timer = setInterval(publish, 50);

let queue: { id: number; w: WriteOp }[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const results: WriteResult[] = writer.run(batch.map((b) => b.w));
  publish();
  parentPort!.postMessage(batch.map((b, i) => ({ id: b.id, result: results[i]! })));
}

parentPort!.on("message", (m: { id: number; w: WriteOp } | { close: true }) => {
  if ("close" in m) {
    if (queue.length) flush();
    clearInterval(timer);
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
