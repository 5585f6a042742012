import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "./harness.js";
import { leakScanDir, recordLeakValue } from "./leak-scan.js";

/** The real AWS SDK v3 client pointed at a Keyshift endpoint. */
export function smClient(endpoint: string, o: { key?: string; secret?: string; region?: string } = {}): SecretsManagerClient {
  const client = new SecretsManagerClient({
    endpoint,
    region: o.region ?? TEST_REGION,
    credentials: { accessKeyId: o.key ?? TEST_KEY_ID, secretAccessKey: o.secret ?? TEST_SECRET },
    maxAttempts: 1,
  });
  if (leakScanDir()) {
    // The whole-suite leak scan: every value sent or received is a marker the outputs must not hold.
    client.middlewareStack.add(
      (next) => async (args) => {
        recordValues(args.input);
        const out = await next(args);
        recordValues(out.output);
        return out;
      },
      { step: "initialize", name: "leakScanValues" },
    );
  }
  return client;
}

/** SecretString, SecretBinary and RandomPassword members of a request or answer (BatchGetSecretValue's SecretValues too). */
function recordValues(x: unknown): void {
  if (!x || typeof x !== "object") return;
  const o = x as Record<string, unknown>;
  if (typeof o.SecretString === "string") recordLeakValue(o.SecretString);
  if (o.SecretBinary instanceof Uint8Array) recordLeakValue(o.SecretBinary);
  if (typeof o.RandomPassword === "string") recordLeakValue(o.RandomPassword);
  // Names are public (logged, audited): a test that uses one as a value too does not leak it.
  for (const k of ["Name", "SecretId"]) if (typeof o[k] === "string") recordLeakValue(o[k] as string, "names");
  if (Array.isArray(o.SecretValues)) o.SecretValues.forEach(recordValues);
}

/**
 * A client whose signing clock follows `now` (a test server's injected clock): requests are
 * signed at the server's idea of the time, so that its 15-minute skew window holds.
 */
export function smClientAt(endpoint: string, now: () => number, o: { key?: string; secret?: string; region?: string } = {}): SecretsManagerClient {
  const client = smClient(endpoint, o);
  client.middlewareStack.add(
    (next) => async (args) => {
      client.config.systemClockOffset = now() - Date.now();
      return next(args);
    },
    { step: "build", name: "pinSigningClock" },
  );
  return client;
}
