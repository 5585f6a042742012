import pg from "pg";

type Handler = (payload: string) => void;

/**
 * One dedicated connection that LISTENs on a few channels and reconnects by itself (backoff up
 * to 2 s) when it breaks, e.g. when PostgreSQL restarts. Notifications sent while it was away
 * are lost by PostgreSQL's design, so every (re)connection is announced to `onConnect` handlers,
 * which catch up from tables. `epoch` is undefined while disconnected and changes with every
 * new connection: a cache that keys on it cannot outlive a gap in notifications.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly connectHandlers = new Set<() => void>();
  private connected = 0;
  private generation = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private backoff = 100;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onError: (e: Error) => void,
    /** A session advisory lock the connection holds (this node's identity): starting fails while another session holds it. */
    private readonly lockName?: string,
  ) {}

  /** Connection number while connected, undefined while not. */
  get epoch(): number | undefined {
    return this.client ? this.connected : undefined;
  }

  on(channel: string, fn: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(fn);
    if (this.client && set.size === 1) this.client.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch((e: Error) => this.onError(e));
    return () => set!.delete(fn);
  }

  onConnect(fn: () => void): () => void {
    this.connectHandlers.add(fn);
    return () => this.connectHandlers.delete(fn);
  }

  /** Connects now and resolves once listening; a failure to connect is retried in the background, a lock held elsewhere is thrown. */
  start(): Promise<void> {
    return this.connect(true);
  }

  private async connect(first = false): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    const c = new pg.Client(this.config);
    const lost = (e?: Error) => {
      if (gen !== this.generation) return;
      if (e) this.onError(e);
      this.client = undefined;
      c.end().catch(() => undefined);
      this.schedule();
    };
    c.on("error", lost);
    c.on("end", () => lost());
    c.on("notification", (n) => {
      for (const h of this.handlers.get(n.channel) ?? []) h(n.payload ?? "");
    });
    try {
      await c.connect();
      // The server drops this session (and so the node lock) within ~30 s of the node's host vanishing without a word.
      await c.query("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3");
      if (this.lockName !== undefined) {
        const { rows } = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [this.lockName]);
        if (!rows[0]?.ok) throw new LockHeld(this.lockName);
      }
      for (const ch of this.handlers.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
    } catch (e) {
      if (e instanceof LockHeld && first) {
        this.closed = true;
        this.generation++;
        await c.end().catch(() => undefined);
        throw e;
      }
      lost(e as Error);
      return;
    }
    if (this.closed || gen !== this.generation) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    this.connected++;
    this.backoff = 100;
    for (const h of this.connectHandlers) h();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(2000, this.backoff * 2);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}

/** Another live session holds the lock this listener's connection was to take. */
export class LockHeld extends Error {
  constructor(readonly lockName: string) {
    super(`another live session holds the lock "${lockName}"`);
  }
}
