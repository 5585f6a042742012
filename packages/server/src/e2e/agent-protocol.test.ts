import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer as createTcpServer, type AddressInfo } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient, UpdateSecretVersionStageCommand } from "@aws-sdk/client-secrets-manager";
import type { RunningAgent } from "@keyshift/agent";
import { hasPythonModule, requireDependency, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { AGENT_TOKEN, agentGet, captureLogger, startTestAgent, waitFor } from "./agent-test-helpers.js";

const T = { "X-Aws-Parameters-Secrets-Token": AGENT_TOKEN };
const AWS_ERROR = /^\{"__type":"([A-Za-z]+)", "message":"(.*)"\}$/;

let s: TestServer;
let agent: RunningAgent;
const log = captureLogger();
const VALUE = "agent-proto-value-7c1f";
let arn = "";
let v1 = "";

before(async () => {
  s = await startTestServer();
  const c = smClient(s.endpoint);
  const created = await c.send(new CreateSecretCommand({ Name: "agent/one", SecretString: VALUE }));
  arn = created.ARN!;
  v1 = created.VersionId!;
  await c.send(new CreateSecretCommand({ Name: "agent/bin", SecretBinary: Buffer.from([0, 1, 2, 250, 255]) }));
  // feed off: this file tests the AWS agent's behaviour (TTL cache, refreshNow) alone.
  agent = await startTestAgent(s.endpoint, { feed: false }, { logger: log.logger });
});
after(async () => {
  await agent?.close();
  await s?.close();
});

describe("routes and answers", () => {
  test("GET /ping answers 200 healthy without a token", async () => {
    const r = await agentGet(agent.port, "/ping", {});
    assert.equal(r.status, 200);
    assert.equal(r.body, "healthy");
  });

  test("GET /secretsmanager/get answers GetSecretValue's shape with CreatedDate as a string", async () => {
    const r = await agentGet(agent.port, "/secretsmanager/get?secretId=agent%2Fone", T);
    assert.equal(r.status, 200);
    const b = JSON.parse(r.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(b), ["ARN", "Name", "VersionId", "SecretString", "VersionStages", "CreatedDate"]);
    assert.equal(b.ARN, arn);
    assert.equal(b.Name, "agent/one");
    assert.equal(b.VersionId, v1);
    assert.equal(b.SecretString, VALUE);
    assert.deepEqual(b.VersionStages, ["AWSCURRENT"]);
    assert.equal(typeof b.CreatedDate, "string");
    assert.match(b.CreatedDate as string, /^\d{10}(\.\d+)?$/);
    const sdk = await smClient(s.endpoint).send(new GetSecretValueCommand({ SecretId: "agent/one" }));
    assert.equal(Math.round(Number(b.CreatedDate) * 1000), sdk.CreatedDate!.getTime());
  });

  test("a binary secret comes back as SecretBinary in base64", async () => {
    const r = await agentGet(agent.port, "/secretsmanager/get?secretId=agent/bin", T);
    assert.equal(r.status, 200);
    const b = JSON.parse(r.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(b), ["ARN", "Name", "VersionId", "SecretBinary", "VersionStages", "CreatedDate"]);
    assert.equal(b.SecretBinary, Buffer.from([0, 1, 2, 250, 255]).toString("base64"));
  });

  test("GET <path_prefix><secretId> (default /v1/) answers the same; an empty id is 400 missing secret ID", async () => {
    const r = await agentGet(agent.port, "/v1/agent/one", T);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { SecretString: string }).SecretString, VALUE);
    const enc = await agentGet(agent.port, "/v1/agent%2Fone?versionStage=AWSCURRENT", T);
    assert.equal(enc.status, 200);
    assert.deepEqual(await agentGet(agent.port, "/v1/", T).then((x) => [x.status, x.body]), [400, "missing secret ID"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one?secretId=x", T).then((x) => [x.status, x.body]), [400, "unknown parameter: secretId"]);
  });

  test("parameter errors: missing secretId, unknown parameter, bad refreshNow", async () => {
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/get", T).then((x) => [x.status, x.body]), [400, "missing parameter secretId"]);
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/get?versionStage=AWSCURRENT", T).then((x) => [x.status, x.body]), [400, "missing parameter secretId"]);
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one&foo=1", T).then((x) => [x.status, x.body]), [400, "unknown parameter: foo"]);
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one&refreshNow=yes", T).then((x) => [x.status, x.body]), [400, "invalid refreshNow value"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one?refreshNow=maybe", T).then((x) => [x.status, x.body]), [400, "invalid refreshNow value"]);
  });

  test("any other path is 404 Not found; any other method is 405", async () => {
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/list", T).then((x) => [x.status, x.body]), [404, "Not found"]);
    assert.deepEqual(await agentGet(agent.port, "/", T).then((x) => [x.status, x.body]), [404, "Not found"]);
    assert.deepEqual(await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one", T, "POST").then((x) => [x.status, x.body]), [405, "Not allowed"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", T, "DELETE").then((x) => [x.status, x.body]), [405, "Not allowed"]);
  });

  test("an upstream error keeps its status with {__type, message} (lower-case message)", async () => {
    const r = await agentGet(agent.port, "/secretsmanager/get?secretId=agent/missing", T);
    assert.equal(r.status, 400);
    const m = AWS_ERROR.exec(r.body);
    assert.ok(m, r.body);
    assert.equal(m[1], "ResourceNotFoundException");
    const bad = await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one&versionStage=NOPE", T);
    assert.equal(bad.status, 400);
    assert.equal(AWS_ERROR.exec(bad.body)?.[1], "ResourceNotFoundException");
  });

  test("versionId and versionStage select versions; refreshNow bypasses the cache and updates it", async () => {
    const c = smClient(s.endpoint);
    const cached = await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one", T);
    assert.equal(JSON.parse(cached.body).SecretString, VALUE);
    const put = await c.send(new PutSecretValueCommand({ SecretId: "agent/one", SecretString: "second-value" }));
    // ttl_seconds = 300 and no feed: the cached answer stays.
    assert.equal(JSON.parse((await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one", T)).body).SecretString, VALUE);
    for (const flag of ["true", "1"]) {
      const fresh = await agentGet(agent.port, `/secretsmanager/get?secretId=agent/one&refreshNow=${flag}`, T);
      assert.equal(fresh.status, 200);
      assert.equal(JSON.parse(fresh.body).VersionId, put.VersionId);
    }
    for (const flag of ["false", "0"]) assert.equal(JSON.parse((await agentGet(agent.port, `/secretsmanager/get?secretId=agent/one&refreshNow=${flag}`, T)).body).SecretString, "second-value");
    assert.equal(JSON.parse((await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one", T)).body).SecretString, "second-value");
    const prev = JSON.parse((await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one&versionStage=AWSPREVIOUS", T)).body);
    assert.equal(prev.SecretString, VALUE);
    assert.deepEqual(prev.VersionStages, ["AWSPREVIOUS"]);
    const byId = JSON.parse((await agentGet(agent.port, `/v1/agent/one?versionId=${v1}`, T)).body);
    assert.equal(byId.VersionId, v1);
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "agent/one", VersionStage: "CUSTOM", MoveToVersionId: v1 }));
    const custom = await agentGet(agent.port, "/secretsmanager/get?secretId=agent/one&versionStage=CUSTOM&refreshNow=true", T);
    assert.equal(JSON.parse(custom.body).VersionId, v1);
  });

  test("no secret value reaches the agent's log", () => {
    const all = log.lines.join("");
    assert.ok(log.lines.length > 0);
    assert.ok(!all.includes(VALUE) && !all.includes("second-value"));
  });
});

describe("the SSRF token", () => {
  test("both default headers are accepted; a missing or wrong token is 403 Bad Token", async () => {
    assert.equal((await agentGet(agent.port, "/v1/agent/one", { "X-Vault-Token": AGENT_TOKEN })).status, 200);
    assert.equal((await agentGet(agent.port, "/v1/agent/one", { "x-aws-parameters-secrets-token": AGENT_TOKEN })).status, 200);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", {}).then((x) => [x.status, x.body]), [403, "Bad Token"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", { "X-Vault-Token": AGENT_TOKEN + "x" }).then((x) => [x.status, x.body]), [403, "Bad Token"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", { Authorization: AGENT_TOKEN }).then((x) => [x.status, x.body]), [403, "Bad Token"]);
    // The token is checked before the method and the route.
    assert.deepEqual(await agentGet(agent.port, "/nowhere", {}, "POST").then((x) => [x.status, x.body]), [403, "Bad Token"]);
  });

  test("X-Forwarded-For is refused with 400 Forwarded, before the token", async () => {
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", { ...T, "X-Forwarded-For": "10.0.0.1" }).then((x) => [x.status, x.body]), [400, "Forwarded"]);
    assert.deepEqual(await agentGet(agent.port, "/v1/agent/one", { "X-Forwarded-For": "10.0.0.1" }).then((x) => [x.status, x.body]), [400, "Forwarded"]);
  });

  test("ssrf_headers and ssrf_env_variables (with a file:// token) are configurable; no token, no start", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "agent-token-"));
    writeFileSync(join(dir, "token"), "file-token-123\n", { mode: 0o600 });
    const a = await startTestAgent(s.endpoint, { feed: false, ssrf_headers: ["X-My-Token"], ssrf_env_variables: ["MY_TOKEN_VAR"] }, {
      env: { MY_TOKEN_VAR: `file://${join(dir, "token")}`, AWS_ACCESS_KEY_ID: "KSAKTESTTESTTEST0001", AWS_SECRET_ACCESS_KEY: "test-secret-access-key-0123456789abcdefgh", AWS_REGION: "us-east-1" },
    });
    try {
      assert.equal((await agentGet(a.port, "/v1/agent/one", { "X-My-Token": "file-token-123" })).status, 200);
      assert.equal((await agentGet(a.port, "/v1/agent/one", { "X-Aws-Parameters-Secrets-Token": "file-token-123" })).status, 403);
    } finally {
      await a.close();
    }
    await assert.rejects(startTestAgent(s.endpoint, { feed: false }, { env: { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" } }), /no SSRF token/);
  });
});

test("path_prefix moves the path route", async () => {
  const a = await startTestAgent(s.endpoint, { feed: false, path_prefix: "/secrets/" });
  try {
    assert.equal((await agentGet(a.port, "/secrets/agent/one", T)).status, 200);
    assert.deepEqual(await agentGet(a.port, "/v1/agent/one", T).then((x) => [x.status, x.body]), [404, "Not found"]);
    assert.equal((await agentGet(a.port, "/secretsmanager/get?secretId=agent/one", T)).status, 200);
  } finally {
    await a.close();
  }
});

/** A raw keep-alive connection: sends one request, resolves with the status line's code and the body. */
function rawConn(port: number) {
  const sock = connect({ host: "127.0.0.1", port });
  let buf = "";
  let waiter: ((r: { status: number; body: string }) => void) | undefined;
  sock.setEncoding("latin1");
  sock.on("data", (d: string) => {
    buf += d;
    const he = buf.indexOf("\r\n\r\n");
    if (he < 0) return;
    const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, he))?.[1] ?? 0);
    if (buf.length < he + 4 + len) return;
    const r = { status: Number(buf.slice(9, 12)), body: buf.slice(he + 4, he + 4 + len) };
    buf = buf.slice(he + 4 + len);
    waiter?.(r);
  });
  return {
    ready: new Promise<void>((r) => sock.once("connect", () => r())),
    send: (path: string, token = true) =>
      new Promise<{ status: number; body: string }>((resolve) => {
        waiter = resolve;
        sock.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${token ? `X-Aws-Parameters-Secrets-Token: ${AGENT_TOKEN}\r\n` : ""}\r\n`);
      }),
    close: () => sock.destroy(),
  };
}

test("max_conn: a request on a connection beyond the limit is 429 Connection limit exceeded; /ping gets one more", async () => {
  const a = await startTestAgent(s.endpoint, { feed: false, max_conn: 2 });
  const conns = [rawConn(a.port), rawConn(a.port)];
  try {
    await Promise.all(conns.map((c) => c.ready));
    assert.equal((await conns[0]!.send("/v1/agent/one")).status, 200);
    assert.equal((await conns[1]!.send("/v1/agent/one")).status, 200);
    conns.push(rawConn(a.port));
    await conns[2]!.ready;
    assert.equal((await conns[2]!.send("/ping", false)).status, 200);
    conns.push(rawConn(a.port));
    await conns[3]!.ready;
    assert.deepEqual(await conns[2]!.send("/v1/agent/one"), { status: 429, body: "Connection limit exceeded" });
    // The limit comes first: even a request without a token gets 429.
    assert.deepEqual(await conns[2]!.send("/v1/agent/one", false), { status: 429, body: "Connection limit exceeded" });
    assert.deepEqual(await conns[3]!.send("/ping", false), { status: 429, body: "Connection limit exceeded" });
    conns[3]!.close();
    await waitFor("the fourth connection to close", 2000, async () => ((await conns[2]!.send("/ping", false)).status === 200 ? true : undefined));
    conns[1]!.close();
    await waitFor("a slot to free", 2000, async () => ((await conns[2]!.send("/v1/agent/one")).status === 200 ? true : undefined));
  } finally {
    for (const c of conns) c.close();
    await a.close();
  }
});

test("an unreachable upstream is 502 ConnectionError", async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createTcpServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const a = await startTestAgent(`http://127.0.0.1:${port}`, { feed: false });
  try {
    const r = await agentGet(a.port, "/v1/agent/one", T);
    assert.equal(r.status, 502);
    assert.equal(AWS_ERROR.exec(r.body)?.[1], "ConnectionError");
  } finally {
    await a.close();
  }
});

test("the agent works against another Secrets Manager implementation (moto)", async (t) => {
  if (!requireDependency(t, "python3 moto (moto.server)", hasPythonModule("moto.server") && hasPythonModule("flask"))) return;
  const port = await new Promise<number>((resolve) => {
    const srv = createTcpServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const moto: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  let a: RunningAgent | undefined;
  try {
    await waitFor("moto to listen", 30_000, async () => fetch(`${endpoint}/moto-api/`).then(() => true, () => undefined));
    const c = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    const created = await c.send(new CreateSecretCommand({ Name: "moto/agent", SecretString: "from-moto" }));
    // The default feed = true: against a server without one the feed stays down and nothing else changes.
    a = await startTestAgent(endpoint, {}, { env: { AWS_TOKEN: AGENT_TOKEN, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" } });
    const r = await agentGet(a.port, "/secretsmanager/get?secretId=moto/agent", T);
    assert.equal(r.status, 200, r.body);
    const b = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(b.ARN, created.ARN);
    assert.equal(b.SecretString, "from-moto");
    assert.equal(typeof b.CreatedDate, "string");
    assert.equal((await agentGet(a.port, "/v1/moto/agent?refreshNow=true", T)).status, 200);
    const missing = await agentGet(a.port, "/v1/moto/missing", T);
    // Whatever status the upstream gives is passed through.
    assert.equal(missing.status, await fetch(endpoint, { method: "POST", headers: { "x-amz-target": "secretsmanager.GetSecretValue", "content-type": "application/x-amz-json-1.1", authorization: "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00" }, body: '{"SecretId":"moto/missing"}' }).then((x) => x.status), missing.body);
    assert.equal(AWS_ERROR.exec(missing.body)?.[1], "ResourceNotFoundException");
    assert.equal(a.feedUp(), false);
  } finally {
    await a?.close();
    moto.kill("SIGTERM");
  }
});
