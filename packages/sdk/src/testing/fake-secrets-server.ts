import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One version of a fake secret. */
export interface FakeVersion {
  VersionId: string;
  SecretString?: string;
  SecretBinary?: string;
  VersionStages: string[];
}

/** A failure the fake answers with instead of the secret. */
export interface FakeFailure {
  status: number;
  type?: string;
  /** Close the connection without an answer. */
  drop?: boolean;
}

/**
 * A counting stand-in for a Secrets Manager endpoint (GetSecretValue only) or, with
 * `agentToken`, for an agent (`GET /secretsmanager/get`). `/v1/*` answers 404 like a server
 * without Keyshift's management API. For unit tests of the client's caching and failure handling.
 */
export class FakeSecretsServer {
  readonly secrets = new Map<string, FakeVersion[]>();
  /** GetSecretValue requests received (agent requests included). */
  gets = 0;
  /** Every request, as `METHOD path`. */
  readonly log: string[] = [];
  /** Decides each GetSecretValue's fate: a failure, or undefined to answer normally. */
  failWith: ((n: number) => FakeFailure | undefined) | undefined;
  /** Delays each GetSecretValue answer (to hold requests in flight). */
  delayMs = 0;
  readonly seenHeaders: Record<string, string | string[] | undefined>[] = [];
  private server: Server | undefined;

  constructor(private readonly o: { agentToken?: string } = {}) {}

  /** Sets AWSCURRENT of `name` to a new version (the previous one becomes AWSPREVIOUS). */
  put(name: string, value: string, versionId = `v${(this.secrets.get(name)?.length ?? 0) + 1}`): void {
    const versions = this.secrets.get(name) ?? [];
    for (const v of versions) v.VersionStages = v.VersionStages.includes("AWSCURRENT") ? ["AWSPREVIOUS"] : [];
    versions.push({ VersionId: versionId, SecretString: value, VersionStages: ["AWSCURRENT"] });
    this.secrets.set(name, versions);
  }

  arn(name: string): string {
    return `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? "/", "http://x");
    this.log.push(`${req.method} ${url.pathname}`);
    this.seenHeaders.push(req.headers);
    const reply = (status: number, doc: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1", ...headers });
      res.end(JSON.stringify(doc));
    };
    let request: { SecretId?: string; VersionId?: string; VersionStage?: string };
    if (this.o.agentToken !== undefined && req.method === "GET" && url.pathname === "/secretsmanager/get") {
      if (req.headers["x-aws-parameters-secrets-token"] !== this.o.agentToken) return reply(401, { __type: "UnrecognizedClientException", Message: "bad token" });
      request = { SecretId: url.searchParams.get("secretId") ?? "", VersionId: url.searchParams.get("versionId") ?? undefined, VersionStage: url.searchParams.get("versionStage") ?? undefined };
    } else if (this.o.agentToken === undefined && req.method === "POST" && req.headers["x-amz-target"] === "secretsmanager.GetSecretValue") {
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) return reply(400, { __type: "MissingAuthenticationTokenException", Message: "unsigned" });
      request = JSON.parse(body) as typeof request;
    } else {
      return reply(404, { message: "not found" });
    }
    const n = ++this.gets;
    // The answer is what the secret was when the request arrived; the delay is its way back.
    const versions = structuredClone(this.secrets.get(request.SecretId ?? ""));
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const failure = this.failWith?.(n);
    if (failure?.drop) return void req.socket.destroy();
    if (failure) return reply(failure.status, { __type: failure.type ?? "InternalServiceError", Message: "injected failure" });
    if (!versions) return reply(400, { __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." });
    const stage = request.VersionStage ?? (request.VersionId ? undefined : "AWSCURRENT");
    const v = versions.find((x) => (request.VersionId === undefined || x.VersionId === request.VersionId) && (stage === undefined || x.VersionStages.includes(stage)));
    if (!v) return reply(400, { __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret value." });
    const name = request.SecretId!;
    const createdDate = this.o.agentToken !== undefined ? "2026-11-23T01:02:03.000Z" : 1795390923.5;
    reply(200, { ARN: this.arn(name), Name: name, ...v, VersionStages: [...v.VersionStages], CreatedDate: createdDate });
  }
}
