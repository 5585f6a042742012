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
