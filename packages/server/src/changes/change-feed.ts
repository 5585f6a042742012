import { epochSeconds } from "@keyshift/protocol";

/** One change of a secret, as the change feed publishes it: metadata only, never a value. */
export interface ChangeEvent {
  Seq: number;
  /** Epoch seconds. */
  Time: number;
  Type: "SecretCreated" | "SecretChanged" | "SecretDeleted";
  Account: string;
  Region: string;
  ARN: string;
  Name: string;
  /** Labeled versions after the change (absent for SecretDeleted). */
  VersionIdsToStages?: Record<string, string[]>;
}

type Listener = (e: ChangeEvent) => void;

/**
 * The in-process change feed: numbers changes in commit order, keeps the most recent ones so
 * that a subscriber that reconnects can catch up (`since`), and fans them out to live
 * subscribers of the same account. Sequence numbers are per process.
 */
export class ChangeFeed {
  private seq = 0;
  private readonly ring: ChangeEvent[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly clock: () => number,
    private readonly keep = 10_000,
  ) {}

  get current(): number {
    return this.seq;
  }

  publish(e: Omit<ChangeEvent, "Seq" | "Time">): ChangeEvent {
    const event: ChangeEvent = { Seq: ++this.seq, Time: epochSeconds(this.clock()), ...e };
    this.ring.push(event);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    for (const l of this.listeners.get(e.Account) ?? []) l(event);
    return event;
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
