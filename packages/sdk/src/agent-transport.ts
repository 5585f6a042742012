import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SecretsError, errorFromNetwork, errorFromResponse } from "./errors.js";
import { secretValueFromWire, type WireSecretValue } from "./secret-value.js";
import type { SecretRequest, SecretsTransport } from "./transport.js";

export interface AgentTransportOptions {
  /** Default `http://localhost:2773` (the AWS Secrets Manager Agent's port). */
  endpoint?: string;
  /** The SSRF token. Default: AWS_TOKEN, else AWS_SESSION_TOKEN; a `file://` value names a file holding it. */
  token?: string;
  /** Per attempt, default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

function readToken(o: AgentTransportOptions): string {
  const raw = o.token ?? process.env.AWS_TOKEN ?? process.env.AWS_SESSION_TOKEN;
  if (!raw) throw new SecretsError("ConfigurationError", "no agent token: pass token or set AWS_TOKEN");
  return raw.startsWith("file://") ? readFileSync(fileURLToPath(raw), "utf8").trim() : raw;
}

/**
 * The AWS Secrets Manager Agent protocol (also Keyshift's agent and the Lambda extension):
 * `GET <agent>/secretsmanager/get?secretId=&versionStage=&versionId=&refreshNow=` with the
 * `X-Aws-Parameters-Secrets-Token` header; the answer is GetSecretValue's (CreatedDate may be a
 * string). No management API: no change feed through an agent (it invalidates its own cache).
 */
export function createAgentTransport(o: AgentTransportOptions = {}): SecretsTransport {
  const base = new URL(o.endpoint ?? "http://localhost:2773");
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let token: string | undefined;
  return {
    async getSecretValue(request: SecretRequest, opts: { refresh?: boolean; signal?: AbortSignal } = {}) {
      token ??= readToken(o);
      const url = new URL("/secretsmanager/get", base);
      url.searchParams.set("secretId", request.SecretId);
      if (request.VersionStage !== undefined) url.searchParams.set("versionStage", request.VersionStage);
      if (request.VersionId !== undefined) url.searchParams.set("versionId", request.VersionId);
      if (opts.refresh) url.searchParams.set("refreshNow", "true");
      const timeout = AbortSignal.timeout(timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, { headers: { "X-Aws-Parameters-Secrets-Token": token, ...(o.userAgent ? { "user-agent": o.userAgent } : {}) }, signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
        text = await res.text();
      } catch (e) {
        throw errorFromNetwork(e, `agent ${base.host}`);
      }
      if (res.status !== 200) throw errorFromResponse(res.status, text, res.headers.get("x-amzn-errortype"));
      let wire: WireSecretValue;
      try {
        wire = JSON.parse(text) as WireSecretValue;
      } catch {
        throw new SecretsError("InvalidResponse", "agent answer is not JSON", { status: res.status, retryable: true });
      }
      return secretValueFromWire(wire);
    },
  };
}
