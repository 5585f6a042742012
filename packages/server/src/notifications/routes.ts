import { ServiceError, epochSeconds } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import type { SecretsDeps } from "../secrets/context.js";
import type { DeliveryLog, DeliveryRecord } from "./delivery-log.js";
import { NOTIFICATION_TYPES, type NotificationType } from "./events.js";
import type { Webhook, WebhookDirectory } from "./webhooks.js";

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function authorize(deps: SecretsDeps, call: ManagementCall, action: string): void {
  deps.authz.authorize({ principal: call.principal, action: `keyshift:${action}`, resource: "*", resourceAccount: undefined, conditions: () => ({ "aws:SourceIp": call.sourceIp }), resourcePolicy: undefined });
}

/** A webhook as the API shows it: never its secret; a Slack URL (a credential) by origin only. */
function webhookView(w: Webhook) {
  return {
    Name: w.name,
    Url: w.kind === "slack" ? `${new URL(w.url).origin}/…` : w.url,
    Kind: w.kind,
    Events: w.events.length ? [...w.events] : [...NOTIFICATION_TYPES],
    HasSecret: w.secret !== undefined,
    Source: w.accountId === undefined ? "config" : "api",
    ...(w.createdAt !== undefined ? { CreatedAt: epochSeconds(w.createdAt) } : {}),
    ...(w.updatedAt !== undefined ? { UpdatedAt: epochSeconds(w.updatedAt) } : {}),
  };
}

function deliveryView(d: DeliveryRecord) {
  return {
    DeliveryId: d.id, EventId: d.eventId, Type: d.type, Webhook: d.webhook, Kind: d.kind, Target: d.target, Status: d.status, Attempts: d.attempts,
    ...(d.lastStatusCode !== undefined ? { LastStatusCode: d.lastStatusCode } : {}),
    ...(d.lastError !== undefined ? { LastError: d.lastError } : {}),
    CreatedAt: epochSeconds(d.createdAt), UpdatedAt: epochSeconds(d.updatedAt),
    ...(d.nextAttemptAt !== undefined ? { NextAttemptAt: epochSeconds(d.nextAttemptAt) } : {}),
  };
}

function parseWebhook(name: string, body: unknown, prev: Webhook | undefined): Omit<Webhook, "accountId"> {
  if (typeof body !== "object" || body === null) throw new ServiceError("ValidationException", "The body must be a JSON object with Url.");
  const b = body as { Url?: unknown; Secret?: unknown; Events?: unknown; Kind?: unknown };
  const kind = b.Kind ?? "webhook";
  if (kind !== "webhook" && kind !== "slack") throw new ServiceError("ValidationException", "Kind must be webhook or slack.");
  let url: URL | undefined;
  try {
    url = typeof b.Url === "string" ? new URL(b.Url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) throw new ServiceError("ValidationException", "Url must be an http:// or https:// URL.");
  if (b.Secret !== undefined && (typeof b.Secret !== "string" || b.Secret.length < 16 || b.Secret.length > 256)) throw new ServiceError("ValidationException", "Secret must be a string of 16 to 256 characters.");
  const secret = (b.Secret as string | undefined) ?? prev?.secret;
  if (kind === "webhook" && secret === undefined) throw new ServiceError("ValidationException", "A webhook of Kind webhook needs a Secret (the key of its HMAC-SHA256 signature).");
  const events = b.Events ?? [];
  if (!Array.isArray(events) || !events.every((e) => typeof e === "string" && (NOTIFICATION_TYPES as readonly string[]).includes(e))) {
    throw new ServiceError("ValidationException", `Events must be a list of ${NOTIFICATION_TYPES.join(", ")}.`);
  }
  return { name, url: url.toString(), kind, events: [...new Set(events as NotificationType[])], ...(secret !== undefined ? { secret } : {}) };
}

/**
 * Notifications in the management API: an account's webhooks (config-file webhooks are shown
 * to the operator, read-only) and the delivery log. Actions `keyshift:ListWebhooks`,
 * `GetWebhook`, `PutWebhook`, `DeleteWebhook`, `ListNotificationDeliveries`.
 */
export function notificationRoutes(n: { webhooks: WebhookDirectory; deliveries: DeliveryLog }): ManagementRoute[] {
  const named = (call: ManagementCall) => {
    const name = call.params.name!;
    if (!NAME.test(name)) throw new ServiceError("ValidationException", "A webhook name has 1 to 64 letters, digits, hyphens or underscores.");
    return name;
  };
  return [
    {
      method: "GET",
      path: "/notifications/webhooks",
      handler: async (deps, call) => {
        authorize(deps, call, "ListWebhooks");
        return { body: { Webhooks: n.webhooks.list(call.principal.accountId, call.principal.operator).map(webhookView) } };
      },
    },
    {
      method: "GET",
      path: "/notifications/webhooks/{name}",
      handler: async (deps, call) => {
        authorize(deps, call, "GetWebhook");
        const w = n.webhooks.get(call.principal.accountId, named(call));
        if (!w) throw new ServiceError("ResourceNotFoundException", `No webhook named ${call.params.name!.slice(0, 64)}.`);
        return { body: webhookView(w) };
      },
    },
    {
      method: "PUT",
      path: "/notifications/webhooks/{name}",
      handler: async (deps, call) => {
        authorize(deps, call, "PutWebhook");
        const name = named(call);
        const prev = n.webhooks.get(call.principal.accountId, name);
        const now = deps.clock();
        const w = n.webhooks.put({ ...parseWebhook(name, call.body, prev), accountId: call.principal.accountId, createdAt: now, updatedAt: now });
        return { status: prev ? 200 : 201, body: webhookView(w) };
      },
    },
    {
      method: "DELETE",
      path: "/notifications/webhooks/{name}",
      handler: async (deps, call) => {
        authorize(deps, call, "DeleteWebhook");
        if (!n.webhooks.delete(call.principal.accountId, named(call))) throw new ServiceError("ResourceNotFoundException", `No webhook named ${call.params.name!.slice(0, 64)}.`);
        return { status: 204 };
      },
    },
    {
      method: "GET",
      path: "/notifications/deliveries",
      handler: async (deps, call) => {
        authorize(deps, call, "ListNotificationDeliveries");
        const q = call.query;
        const max = q.get("MaxResults") === null ? 100 : Number(q.get("MaxResults"));
        if (!Number.isInteger(max) || max < 1 || max > 1000) throw new ServiceError("ValidationException", "MaxResults must be an integer from 1 to 1000.");
        const status = q.get("Status") ?? undefined;
        if (status !== undefined && !["pending", "delivered", "failed"].includes(status)) throw new ServiceError("ValidationException", "Status must be pending, delivered or failed.");
        const list = n.deliveries.list({
          accountId: call.principal.accountId, withConfigured: call.principal.operator, limit: max,
          ...(q.get("Webhook") ? { webhook: q.get("Webhook")! } : {}), ...(q.get("Type") ? { type: q.get("Type")! } : {}), ...(status ? { status } : {}),
        });
        return { body: { Deliveries: list.map(deliveryView) } };
      },
    },
  ];
}
