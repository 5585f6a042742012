import { randomUUID } from "node:crypto";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { getRandomPassword } from "../secrets/ops/get-random-password.js";
import { getSecretValue } from "../secrets/ops/get-secret-value.js";
import { describeSecret } from "../secrets/ops/describe.js";
import { putSecretValue } from "../secrets/ops/put-secret-value.js";
import { updateSecretVersionStage } from "../secrets/ops/update-version-stage.js";
import { systemPrincipal } from "../iam/principal.js";
import type { SecretsClient } from "./rotator.js";

/** Every secret value a rotator saw or sent, for redaction of what it throws. */
export class SeenValues {
  private readonly values = new Set<string>();

  add(v: string | undefined): void {
    if (v === undefined || v.length < 4) return;
    this.values.add(v);
    // JSON secrets: their string fields (passwords) can appear alone in a driver's message.
    if (v.startsWith("{")) {
      try {
        for (const f of Object.values(JSON.parse(v) as Record<string, unknown>)) if (typeof f === "string" && f.length >= 4) this.values.add(f);
      } catch {
        /* not JSON after all */
      }
    }
  }

  /** `text` with every seen value replaced by [REDACTED], longest first. */
  redact(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join("[REDACTED]");
    return out;
  }
}

/** The principal built-in rotators act as: the secret's account's rotation service. */
export const ROTATION_USER = "keyshift-rotation";

/**
 * A SecretsClient answered by the operations themselves, as the secret's account in the
 * secret's region (the engine authorized the rotation when it started).
 */
export function inProcessClient(deps: SecretsDeps, accountId: string, region: string, seen: SeenValues): SecretsClient {
  const ctx = (): RequestContext => ({
    requestId: randomUUID(),
    principal: systemPrincipal(accountId, ROTATION_USER),
    region,
    sourceIp: "127.0.0.1",
    userAgent: "keyshift-rotation-engine",
    secureTransport: true,
  });
  return {
    async getSecretValue(req) {
      const r = await getSecretValue(deps, ctx(), req);
      seen.add(r.SecretString);
      return r;
    },
    async putSecretValue(req) {
      seen.add(req.SecretString);
      return putSecretValue(deps, ctx(), { ClientRequestToken: randomUUID(), ...req });
    },
    describeSecret: (req) => describeSecret(deps, ctx(), req),
    async updateSecretVersionStage(req) {
      await updateSecretVersionStage(deps, ctx(), req);
    },
    async getRandomPassword(req) {
      const r = await getRandomPassword(deps, ctx(), req);
      seen.add(r.RandomPassword);
      return r.RandomPassword!;
    },
  };
}
