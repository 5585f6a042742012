// Micro-benchmark: verifications per second of a typical GetSecretValue as the AWS SDK v3 sends it.
// The figure is printed, not asserted; the test fails only if the request does not verify.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CaptureServer } from "./capture-server.js";
import { parseAmzDate } from "./request-time.js";
import { SigV4Verifier } from "./verify.js";

test("benchmark: SigV4Verifier.verify on an SDK v3 GetSecretValue", async (t) => {
  const server = await CaptureServer.start();
  const credentials = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
  const sm = new SecretsManagerClient({ endpoint: `http://127.0.0.1:${server.port}`, region: "us-east-1", credentials, maxAttempts: 1 });
  await sm.send(new GetSecretValueCommand({ SecretId: "prod/db/password", VersionStage: "AWSCURRENT" }));
  sm.destroy();
  await server.close();
  const req = server.last!;

  const signedAt = parseAmzDate(String(req.headers["x-amz-date"]));
  const lookup = () => ({ secretAccessKey: credentials.secretAccessKey, principal: "bench" });
  const verifier = new SigV4Verifier({ service: "secretsmanager", lookup, now: () => signedAt });
  assert.equal(verifier.verify(req).principal, "bench");

  for (let i = 0; i < 2_000; i++) verifier.verify(req); // warm up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 1_000) {
    for (let i = 0; i < 1_000; i++) verifier.verify(req);
    n += 1_000;
    elapsed = performance.now() - start;
  }
  const perSecond = Math.round((n / elapsed) * 1_000);
  const headers = req.rawHeaders.filter((_, i) => i % 2 === 0).join(", ");
  const each = (1e6 / perSecond).toFixed(1);
  t.diagnostic(`SigV4 verify: ${perSecond.toLocaleString("en-US")} verifications/s (${each} µs each; ${req.body.length}-byte body; headers: ${headers})`);
  assert.equal(verifier.signingKeyStats.derivations, 1);
});
