import type { ServerResponse } from "node:http";
import { ServiceError } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import type { SecretsDeps } from "../secrets/context.js";
import type { ChangeEvent } from "./change-feed.js";
import { requestConditions, requireSecret } from "../secrets/resolve.js";

const HEARTBEAT_MS = 15_000;
const MAX_STREAM_MS = 3600_000;
/** A subscriber this far behind is cut off (it reconnects with Last-Event-ID and catches up). */
const MAX_BUFFERED = 1 << 20;

function authorize(deps: SecretsDeps, call: ManagementCall, action: string): void {
  deps.authz.authorize({ principal: call.principal, action: `keyshift:${action}`, resource: "*", resourceAccount: undefined, conditions: () => ({ "aws:SourceIp": call.sourceIp }), resourcePolicy: undefined });
}

/**
 * Whether the caller may see an event: it names a secret the caller may describe or read
 * (events carry names and version ids, never values, but a principal limited to its own path
 * must not learn the others' names either).
 */
async function visible(deps: SecretsDeps, call: ManagementCall, e: ChangeEvent): Promise<boolean> {
  const secret = e.Type === "SecretDeleted" ? undefined : await deps.store.getSecretByArn(e.ARN);
  const ctx = { principal: call.principal, sourceIp: call.sourceIp, region: e.Region, secureTransport: call.secureTransport };
  const req = (action: string) => ({
    principal: call.principal,
    action,
    resource: e.ARN,
    resourceAccount: e.Account,
    conditions: () => requestConditions(ctx, secret, { "secretsmanager:SecretId": e.ARN, "secretsmanager:Name": e.Name }),
    resourcePolicy: secret?.resourcePolicy,
  });
  return deps.authz.allows(req("secretsmanager:DescribeSecret")) || deps.authz.allows(req("secretsmanager:GetSecretValue"));
}

function frame(e: ChangeEvent): string {
  return `id: ${e.Seq}\nevent: change\ndata: ${JSON.stringify(e)}\n\n`;
}

/** `GET /v1/changes`: the account's change feed as server-sent events (docs/change-feed.md). */
export const changeRoutes: ManagementRoute[] = [
  {
    method: "GET",
    path: "/changes",
    handler: async (deps, call) => {
      authorize(deps, call, "SubscribeChanges");
      const account = call.principal.accountId;
      const lastId = call.headers["last-event-id"];
      const resume = typeof lastId === "string" && /^\d+$/.test(lastId) ? Number(lastId) : undefined;
      if (lastId !== undefined && resume === undefined) throw new ServiceError("ValidationException", "Last-Event-ID must be a sequence number.");
      return {
        headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
        stream: (res: ServerResponse) => {
          res.socket?.setKeepAlive(true, 30_000);
          res.socket?.setTimeout(0);
          const send = (text: string) => {
            if (res.destroyed) return;
            if (res.writableLength > MAX_BUFFERED) return res.destroy();
            res.write(text);
          };
          // All of this runs in one turn of the event loop: nothing is published between the catch-up and the subscription.
          // Events pass the visibility check one after another, so they go out in commit order.
          let queue = Promise.resolve();
          const publish = (e: ChangeEvent) => {
            queue = queue.then(async () => {
              if (await visible(deps, call, e).catch(() => false)) send(frame(e));
            });
          };
          send(`event: hello\ndata: ${JSON.stringify({ Seq: deps.feed.current, Account: account })}\n\n`);
          if (resume !== undefined) {
            const missed = deps.feed.since(account, resume);
            if (missed === "reset") send(`event: reset\ndata: ${JSON.stringify({ Seq: deps.feed.current })}\n\n`);
            else for (const e of missed) publish(e);
          }
          const unsubscribe = deps.feed.subscribe(account, publish);
          const ping = setInterval(() => send(": ping\n\n"), HEARTBEAT_MS);
          const limit = setTimeout(() => res.end(), MAX_STREAM_MS);
          res.on("close", () => {
            clearInterval(ping);
            clearTimeout(limit);
            unsubscribe();
          });
        },
      };
    },
  },
];

const CONSUMER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A consumer heard from within this long counts as live (it reports at least every 60 s). */
export const LIVE_MS = 180_000;

interface ReportBody {
  Name?: unknown;
  Kind?: unknown;
  Holdings?: unknown;
}

function parseHoldings(v: unknown): { ARN: string; VersionId: string; VersionStages?: string[] }[] {
  if (!Array.isArray(v) || v.length > 10_000) throw new ServiceError("ValidationException", "Holdings must be a list of at most 10,000 {ARN, VersionId, VersionStages}.");
  return v.map((h: unknown) => {
    const x = h as { ARN?: unknown; VersionId?: unknown; VersionStages?: unknown };
    if (typeof x?.ARN !== "string" || typeof x.VersionId !== "string" || x.ARN.length > 2048 || x.VersionId.length > 64) {
      throw new ServiceError("ValidationException", "Each holding needs an ARN and a VersionId.");
    }
    const stages = Array.isArray(x.VersionStages) ? x.VersionStages.filter((s): s is string => typeof s === "string").slice(0, 20) : undefined;
    return { ARN: x.ARN, VersionId: x.VersionId, ...(stages ? { VersionStages: stages } : {}) };
  });
}

/** Consumer reporting (docs/change-feed.md): agents and SDK clients say which versions they hold. */
export const consumerRoutes: ManagementRoute[] = [
  {
    method: "PUT",
    path: "/consumers/{id}",
    handler: async (deps, call) => {
      authorize(deps, call, "ReportConsumer");
      const id = call.params.id!;
      if (!CONSUMER_ID.test(id)) throw new ServiceError("ValidationException", "A ConsumerId has 1 to 128 of A-Z a-z 0-9 . _ : -");
      const b = (call.body ?? {}) as ReportBody;
      if (b.Kind !== "agent" && b.Kind !== "sdk") throw new ServiceError("ValidationException", "Kind must be agent or sdk.");
      if (b.Name !== undefined && (typeof b.Name !== "string" || b.Name.length > 256)) throw new ServiceError("ValidationException", "Name must be a string of at most 256 characters.");
      const lastSeen = deps.clock();
      await deps.store.putConsumer({
        accountId: call.principal.accountId, consumerId: id, kind: b.Kind, principalArn: call.principal.arn, sourceIp: call.sourceIp, lastSeen,
        holdings: parseHoldings(b.Holdings ?? []), ...(typeof b.Name === "string" ? { name: b.Name } : {}),
      });
      return { body: { ConsumerId: id, LastSeen: lastSeen / 1000 } };
    },
  },
  {
    method: "GET",
    path: "/consumers",
    handler: async (deps, call) => {
      const secretId = call.query.get("SecretId");
      let arn: string | undefined;
      if (secretId) {
        arn = (await requireSecret(deps, { requestId: call.requestId, principal: call.principal, region: call.region, sourceIp: call.sourceIp, userAgent: "", secureTransport: false }, secretId, "DescribeSecret")).arn;
      }
      authorize(deps, call, "ListConsumers");
      const now = deps.clock();
      const consumers = (await deps.store.listConsumers(call.principal.accountId))
        .map((c) => ({ ...c, holdings: arn ? c.holdings.filter((h) => h.ARN === arn) : c.holdings }))
        .filter((c) => !arn || c.holdings.length > 0)
        .map((c) => ({
          ConsumerId: c.consumerId, ...(c.name ? { Name: c.name } : {}), Kind: c.kind, PrincipalArn: c.principalArn, SourceIp: c.sourceIp,
          LastSeen: c.lastSeen / 1000, Live: now - c.lastSeen <= LIVE_MS, Holdings: c.holdings,
        }));
      return { body: { Consumers: consumers } };
    },
  },
];
