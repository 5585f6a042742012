import { existsSync, readFileSync } from "node:fs";
import { writePrivateFile } from "../fs/private-file.js";
import type { NotificationType } from "./events.js";

/** Where notifications go. `accountId` is unset for webhooks of the config file (the operator's: every account's events). */
export interface Webhook {
  name: string;
  url: string;
  /** HMAC key of the signature header; never returned by the API. */
  secret?: string;
  /** Types delivered; empty: all. */
  events: readonly NotificationType[];
  kind: "webhook" | "slack";
  accountId?: string;
  createdAt?: number;
  updatedAt?: number;
}

const keyOf = (accountId: string | undefined, name: string) => `${accountId ?? ""}\u0000${name}`;

/**
 * The webhooks of the config file (read-only) and those registered through the management API,
 * kept in `file` (0600: it holds the signing secrets; written atomically on every change). A
 * registered webhook belongs to an account and receives that account's events only.
 */
export class WebhookDirectory {
  private readonly byKey = new Map<string, Webhook>();

  constructor(
    configured: readonly Webhook[],
    private readonly file: string,
  ) {
    for (const w of configured) this.byKey.set(keyOf(undefined, w.name), { ...w, events: [...w.events] });
    if (existsSync(file)) {
      const doc = JSON.parse(readFileSync(file, "utf8")) as { webhooks?: Webhook[] };
      for (const w of doc.webhooks ?? []) if (w.accountId) this.byKey.set(keyOf(w.accountId, w.name), w);
    }
  }

  /** The webhooks an event of `accountId` and `type` goes to. */
  forEvent(accountId: string | undefined, type: NotificationType): Webhook[] {
    const out: Webhook[] = [];
    for (const w of this.byKey.values()) {
      if (w.accountId !== undefined && w.accountId !== accountId) continue;
      if (w.events.length === 0 || w.events.includes(type)) out.push(w);
    }
    return out;
  }

  /** An account's webhooks; with `withConfigured`, also the config file's. */
  list(accountId: string, withConfigured: boolean): Webhook[] {
    return [...this.byKey.values()].filter((w) => w.accountId === accountId || (withConfigured && w.accountId === undefined));
  }

  get(accountId: string, name: string): Webhook | undefined {
    return this.byKey.get(keyOf(accountId, name));
  }

  /** Creates or replaces an account's webhook; persisted before it returns. */
  put(w: Webhook & { accountId: string }): Webhook {
    const prev = this.byKey.get(keyOf(w.accountId, w.name));
    const next = { ...w, createdAt: prev?.createdAt ?? w.createdAt, updatedAt: w.updatedAt };
    this.byKey.set(keyOf(w.accountId, w.name), next);
    this.persist();
    return next;
  }

  delete(accountId: string, name: string): boolean {
    const ok = this.byKey.delete(keyOf(accountId, name));
    if (ok) this.persist();
    return ok;
  }

  private persist(): void {
    const webhooks = [...this.byKey.values()].filter((w) => w.accountId !== undefined);
    writePrivateFile(this.file, `${JSON.stringify({ version: 1, webhooks }, null, 2)}\n`);
  }
}
