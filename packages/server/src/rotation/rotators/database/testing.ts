/** Test support for the database rotators' tests (not a test itself). */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, TEST_REGION, type TestServer } from "../../../testing/harness.js";
import { prepareRotation } from "../../../testing/rotation-steps.js";
import { RotationError, type Rotator } from "../../rotator.js";

/** Creates a secret holding `value` as JSON; returns its ARN. */
export async function createJsonSecret(sm: SecretsManagerClient, name: string, value: Record<string, unknown>): Promise<string> {
  const r = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  return r.ARN!;
}

/** The JSON value at `stage`, or undefined when no version has it. */
export async function stageValue(sm: SecretsManagerClient, name: string, stage: string): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }));
    return JSON.parse(r.SecretString!) as Record<string, unknown>;
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

export async function versionIdsToStages(sm: SecretsManagerClient, name: string): Promise<Record<string, string[]>> {
  const r = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
  return Object.fromEntries((r.Versions ?? []).map((v) => [v.VersionId!, v.VersionStages ?? []]));
}

/** Writes the AWSPENDING value of a prepared rotation by hand (as if createSecret had). */
export async function putPending(sm: SecretsManagerClient, name: string, token: string, value: Record<string, unknown>): Promise<void> {
  await sm.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: JSON.stringify(value), VersionStages: ["AWSPENDING"] }));
}

/** Prepares a rotation of secret `name` the way the engine does. */
export function prepare(server: TestServer, name: string, options: Record<string, string> = {}) {
  return prepareRotation(server.app.deps, { accountId: TEST_ACCOUNT, region: TEST_REGION, secretName: name, options });
}

/** One whole rotation (the four steps in order). */
export async function rotate(server: TestServer, rotator: Rotator, name: string, options: Record<string, string> = {}): Promise<void> {
  const r = await prepare(server, name, options);
  await r.runAll(rotator);
}

/**
 * Asserts that `p` rejects with a RotationError whose message matches `re` and contains none of
 * `secrets`; returns the message.
 */
export async function rejectsWith(p: Promise<unknown>, re: RegExp, secrets: string[] = []): Promise<string> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => {
    err = e;
    return true;
  });
  assert.ok(err instanceof RotationError, `expected a RotationError, got ${String(err)}`);
  assert.match(err.message, re);
  for (const s of secrets) assert.ok(!err.message.includes(s), `the message contains a password: ${err.message}`);
  return err.message;
}

/** A TCP server that accepts connections and never answers (a hung database). */
export async function silentServer(): Promise<{ port: number; connections: () => number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let total = 0;
  const srv: Server = createServer((s) => {
    total++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.resume(); // read (and drop) what the client sends, so its FIN is seen
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    connections: () => total,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

/** Resolves when `cond()` holds (polled), or fails after `ms`. */
export async function eventually(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
