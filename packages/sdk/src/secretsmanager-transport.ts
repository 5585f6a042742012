import { signRequest } from "@keyshift/protocol";
import { credentialsProvider, type CredentialsOption } from "./credentials.js";
import { SecretsError, errorFromNetwork, errorFromResponse } from "./errors.js";
import { secretValueFromWire, type WireSecretValue } from "./secret-value.js";
import type { ManagementEndpoint, SecretRequest, SecretsTransport } from "./transport.js";

export interface SecretsManagerTransportOptions {
  /** Default: AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else AWS's `https://secretsmanager.<region>.amazonaws.com`. */
  endpoint?: string;
  /** Signing region. Default: AWS_REGION, AWS_DEFAULT_REGION, else `us-east-1`. */
  region?: string;
  /** Default: the environment (see `credentialsFromEnvironment`). */
  credentials?: CredentialsOption;
  /** Profile of the shared credentials file when `credentials` is not given. */
  profile?: string;
  /** Per attempt, default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Sent as `User-Agent` (unsigned). */
  userAgent?: string;
}

/** True for AWS's own endpoints (no Keyshift management API there). */
function isAwsEndpoint(url: URL): boolean {
  return /\.amazonaws\.com(\.cn)?$/i.test(url.hostname) || /\.api\.aws$/i.test(url.hostname);
}

/**
 * The Secrets Manager JSON 1.1 API over `fetch`, signed with SigV4 (service `secretsmanager`):
 * works against Keyshift and AWS alike. Against an endpoint that is not AWS's, `management`
 * points at the same server's `/v1` API (the change feed and consumer reporting).
 */
export function createSecretsManagerTransport(o: SecretsManagerTransportOptions = {}): SecretsTransport {
  const env = process.env;
  const region = o.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
  const endpoint = new URL(o.endpoint || env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || `https://secretsmanager.${region}.amazonaws.com`);
  const credentials = credentialsProvider(o.credentials, o.profile);
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;

  const sign = async (method: string, url: URL, headers: Record<string, string>, body: string, service: string) =>
    signRequest({ method, host: url.host, path: url.pathname, query: url.search.slice(1), headers, body, region, service }, await credentials());

  const management: ManagementEndpoint | undefined = isAwsEndpoint(endpoint)
    ? undefined
    : { region, url: (path) => new URL(path, endpoint.origin), signedHeaders: (method, url, headers, body) => sign(method, url, headers, body, "keyshift"), fetch: doFetch };

  return {
    ...(management ? { management } : {}),
    async getSecretValue(request: SecretRequest, opts: { signal?: AbortSignal } = {}) {
      const body = JSON.stringify(request);
      const headers = await sign("POST", endpoint, { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" }, body, "secretsmanager");
      delete headers.host; // fetch sets it from the URL (the signed value is the same)
      if (o.userAgent) headers["user-agent"] = o.userAgent;
      const timeout = AbortSignal.timeout(timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(endpoint, { method: "POST", headers, body, signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
        text = await res.text();
      } catch (e) {
        throw errorFromNetwork(e, `GetSecretValue ${endpoint.host}`);
      }
      if (res.status !== 200) throw errorFromResponse(res.status, text, res.headers.get("x-amzn-errortype"));
      let wire: WireSecretValue;
      try {
        wire = JSON.parse(text) as WireSecretValue;
      } catch {
        throw new SecretsError("InvalidResponse", "GetSecretValue answer is not JSON", { status: res.status, retryable: true });
      }
      return secretValueFromWire(wire);
    },
  };
}
