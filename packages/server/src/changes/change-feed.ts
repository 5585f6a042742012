import { epochSeconds, type ChangeEvent } from "@keyshift/protocol";

export type { ChangeEvent };

type Listener = (e: ChangeEvent) => void;

/**
 * Numbers events somewhere shared (PostgreSQL: database-wide, in commit order) and hands each
 * one back to `ChangeFeed.accept` on every node, this one included.
 */
export interface ChangeRelay {
  send(e: Omit<ChangeEvent, "Seq">): void;
}

/**
 * The change feed: numbers changes in commit order, keeps the most recent ones so that a
 * subscriber that reconnects can catch up (`since`), and fans them out to live subscribers of
 * the same account. Alone, sequence numbers are per process; with a relay (several nodes on
 * PostgreSQL) they are the database's, so a subscriber may resume on any node.
 */
export class ChangeFeed {
  private seq = 0;
  private readonly ring: ChangeEvent[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private relay: ChangeRelay | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly keep = 10_000,
  ) {}

  get current(): number {
    return this.seq;
  }

  /** The number of events kept for catch-up at most. */
  get capacity(): number {
    return this.keep;
  }

  /** From now on, published events go through `relay`; `history` (oldest first, numbered by the relay) seeds the catch-up buffer. */
  relayThrough(relay: ChangeRelay, history: readonly ChangeEvent[]): void {
    this.relay = relay;
    for (const e of history) this.accept(e);
  }

  publish(e: Omit<ChangeEvent, "Seq" | "Time">): void {
    const withTime = { Time: epochSeconds(this.clock()), ...e };
    if (this.relay) this.relay.send(withTime);
    else this.deliver({ Seq: this.seq + 1, ...withTime });
  }

  /**
   * An event numbered by the relay, in increasing order (numbers may skip: a relay's sequence can
   * have holes). Ones already seen are ignored. `gap`: events before this one were lost (the relay
   * no longer has them), so older ones are not offered for catch-up any more and a subscriber that
   * resumes from before the gap gets "reset".
   */
  accept(e: ChangeEvent, gap = false): void {
    if (e.Seq <= this.seq) return;
    if (gap) this.ring.length = 0;
    this.deliver(e);
  }

  private deliver(event: ChangeEvent): void {
    this.seq = event.Seq;
    this.ring.push(event);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    for (const l of this.listeners.get(event.Account) ?? []) l(event);
  }

  /** The account's events after `seq`, or "reset" when some of them are no longer kept (or `seq` is unknown). */
  since(account: string, seq: number): ChangeEvent[] | "reset" {
    if (seq > this.seq) return "reset";
    if (seq === this.seq) return [];
    const oldest = this.ring[0]?.Seq ?? this.seq + 1;
    if (seq < oldest - 1) return "reset";
    return this.ring.filter((e) => e.Seq > seq && e.Account === account);
  }

  /** Live events of `account`; returns the unsubscribe function. */
  subscribe(account: string, fn: Listener): () => void {
    let set = this.listeners.get(account);
    if (!set) this.listeners.set(account, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0) this.listeners.delete(account);
    };
  }

  /** Live subscribers, for metrics and tests. */
  get subscribers(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
