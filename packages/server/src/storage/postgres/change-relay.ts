import type { ChangeEvent, ChangeFeed, ChangeRelay } from "../../changes/change-feed.js";
import type { PostgresStore } from "./postgres-store.js";

/** NOTIFY channel that tells every node "new rows in change_events" (no payload: nodes read the table). */
export const FEED_CHANNEL = "keyshift_changes";
/** Transaction-level advisory lock that serializes inserts into change_events, so that seq order is commit order. */
const FEED_LOCK = 0x6b657973_666565n; // "keysfee"
/** Rows of change_events kept (older ones are pruned now and then). */
const RETAIN = 100_000;
const PAGE = 1000;
/** Events waiting for the database at most; beyond, the oldest batch is dropped (subscribers then miss it). */
const MAX_QUEUE = 100_000;

type Unnumbered = Omit<ChangeEvent, "Seq">;

/**
 * Makes `feed` a cluster-wide feed on the store's database. Published events are appended to
 * `change_events` (batched; keyshift_append_events() holds an advisory lock for its transaction,
 * so sequence numbers are assigned in commit order and a reader of `seq > last` never skips a row that commits later),
 * then a NOTIFY wakes every node, which reads the new rows and hands them to its feed in order.
 * After a lost LISTEN connection the node catches up from the table. The feed starts seeded with
 * the most recent events, so a subscriber can resume on any node with its Last-Event-ID.
 *
 * An event is appended after its commit; if the node dies in between, the event is lost (the
 * change itself is not): a subscriber sees the change with the next event of that secret.
 */
export async function relayChangesThroughPostgres(store: PostgresStore, feed: ChangeFeed, onError: (e: Error) => void = () => undefined): Promise<void> {
  const pool = store.pool;
  const queue: Unnumbered[] = [];
  let flushing: Promise<void> | undefined;
  let appended = 0;
  let closed = false;

  const append = async (batch: Unnumbered[]): Promise<void> => {
    await pool.query({ name: "ks_append_events", text: "SELECT keyshift_append_events($1, $2::text[], $3)", values: [FEED_LOCK.toString(), batch.map((e) => JSON.stringify(e)), FEED_CHANNEL] });
    appended += batch.length;
    if (appended >= 1000) {
      appended = 0;
      await pool.query(`DELETE FROM change_events WHERE seq <= (SELECT MAX(seq) FROM change_events) - ${RETAIN}`).catch(onError);
    }
  };

  // One flush at a time, in publication order. A failed batch is retried until the database is
  // back (it may be restarting; commits fail meanwhile, so few events wait), unless closing.
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, PAGE);
      for (let attempt = 1; ; attempt++) {
        try {
          await append(batch);
          break;
        } catch (e) {
          if (closed || queue.length > MAX_QUEUE) {
            onError(new Error(`dropping ${batch.length} change-feed event(s): ${(e as Error).message}`));
            break;
          }
          if (attempt === 3) onError(e as Error);
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
        }
      }
      queue.splice(0, batch.length);
    }
  };
  const kick = () => {
    flushing ??= flush().finally(() => {
      flushing = undefined;
      if (queue.length > 0) kick();
    });
  };

  // Reads rows newer than what the feed has, in order; one read at a time, another after it if woken meanwhile.
  let pulling: Promise<void> | undefined;
  let again = false;
  const pull = (): void => {
    if (pulling) {
      again = true;
      return;
    }
    pulling = (async () => {
      for (;;) {
        const from = feed.current;
        const { rows } = await pool.query<{ seq: number; doc: string; oldest: number }>({
          name: "ks_feed_pull",
          text: "SELECT seq, doc, (SELECT MIN(seq) FROM change_events) AS oldest FROM change_events WHERE seq > $1 ORDER BY seq LIMIT $2",
          values: [from, PAGE],
        });
        // Identity numbers have holes (rolled-back appends, a crash): only rows pruned before this node read them are a gap.
        const gap = from > 0 && rows.length > 0 && rows[0]!.oldest > from + 1;
        for (const [i, r] of rows.entries()) feed.accept({ ...(JSON.parse(r.doc) as Unnumbered), Seq: r.seq }, gap && i === 0);
        if (rows.length < PAGE) return;
      }
    })()
      .catch((e: Error) => onError(e))
      .finally(() => {
        pulling = undefined;
        if (again) {
          again = false;
          pull();
        }
      });
  };

  const { rows } = await pool.query<{ seq: number; doc: string }>("SELECT seq, doc FROM change_events ORDER BY seq DESC LIMIT $1", [feed.capacity]);
  const history = rows.reverse().map((r) => ({ ...(JSON.parse(r.doc) as Unnumbered), Seq: r.seq }));
  const relay: ChangeRelay = {
    send(e) {
      queue.push(e);
      kick();
    },
  };
  feed.relayThrough(relay, history);
  store.listener.on(FEED_CHANNEL, pull);
  store.listener.onConnect(pull);
  store.onClose(async () => {
    // One last try for what is queued, then give up (the database may be gone).
    closed = true;
    await flushing;
    await pulling;
  });
  pull();
}
