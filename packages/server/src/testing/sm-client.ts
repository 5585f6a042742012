import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "./harness.js";

/** The real AWS SDK v3 client pointed at a Keyshift endpoint. */
export function smClient(endpoint: string, o: { key?: string; secret?: string; region?: string } = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: o.region ?? TEST_REGION,
    credentials: { accessKeyId: o.key ?? TEST_KEY_ID, secretAccessKey: o.secret ?? TEST_SECRET },
    maxAttempts: 1,
  });
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
