import Database from "better-sqlite3";
import { percentile, runLoad, type LoadResult } from "./load-generator.js";

export interface RotationBatch {
  label: string;
  /** Name prefix of the secrets whose rotation the phase makes due. */
  prefix: string;
  count: number;
}

export interface RotationFigures {
  label: string;
  succeeded: number;
  failed: number;
  /** Rotations per second from the first start to the last end. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  reads: LoadResult;
}

/**
 * Makes a batch of seeded secrets due (their rotation_due_at set to now, as the scheduler would
 * find them on any ordinary day), then measures GetSecretValue under load while the scheduler
 * rotates them, until every rotation has ended. The bench reads the results from the database.
 */
export async function rotationPhase(dbPath: string, port: number, reads: Buffer[] | undefined, batch: RotationBatch, maxSeconds: number): Promise<RotationFigures> {
  const db = new Database(dbPath);
  db.pragma("busy_timeout = 10000");
  const since = Date.now();
  const uids = (db.prepare(`SELECT uid FROM secrets WHERE name LIKE ? || '%'`).pluck().all(batch.prefix) as string[]);
  const ended = db.prepare(`SELECT COUNT(*) FROM rotations WHERE started_at >= ? AND status <> 'running' AND secret_uid IN (SELECT uid FROM secrets WHERE name LIKE ? || '%')`).pluck();
  const allEnded = () => (ended.get(since, batch.prefix) as number) >= uids.length;
  const reading = reads
    ? runLoad({ host: "127.0.0.1", port, requests: reads, connections: 50, durationMs: maxSeconds * 1000, warmupMs: 500, until: allEnded })
    : (async (): Promise<LoadResult> => {
        const deadline = Date.now() + maxSeconds * 1000;
        while (!allEnded() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return { requests: 0, rps: 0, p50: NaN, p90: NaN, p99: NaN, non2xx: 0, errors: 0 };
      })();
  // Due half a second into the measurement: the scheduler picks them up on its next pass.
  setTimeout(() => db.prepare(`UPDATE secrets SET rotation_due_at = ? WHERE name LIKE ? || '%'`).run(Date.now(), batch.prefix), 500);
  const r = await reading;
  const rows = db.prepare(`SELECT status, started_at AS s, json_extract(doc, '$.endedAt') AS e FROM rotations WHERE started_at >= ? AND secret_uid IN (SELECT uid FROM secrets WHERE name LIKE ? || '%')`).all(since, batch.prefix) as { status: string; s: number; e: number | null }[];
  db.close();
  const done = rows.filter((x) => x.e !== null);
  const durations = Float64Array.from(done.map((x) => x.e! - x.s)).sort();
  const span = (Math.max(...done.map((x) => x.e!)) - Math.min(...done.map((x) => x.s))) / 1000;
  return {
    label: batch.label,
    succeeded: rows.filter((x) => x.status === "succeeded").length,
    failed: rows.filter((x) => x.status === "failed").length,
    rate: done.length / span,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    reads: r,
  };
}
