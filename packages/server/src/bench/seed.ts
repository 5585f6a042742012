import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { Envelope } from "../crypto/envelope.js";
import { keyProviderFromConfig } from "../crypto/key-provider-from-config.js";
import { AccountBoundaryAuthorizer } from "../iam/authorizer.js";
import { bootstrap } from "../iam/bootstrap.js";
import type { Config } from "../config/schema.js";
import { AccessTracker } from "../secrets/access-tracker.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { createSecret } from "../secrets/ops/create-secret.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { sqlitePath } from "../storage/store-from-config.js";
import { systemPrincipal } from "../iam/principal.js";

/**
 * Seeds `count` secrets with a `valueBytes` value each through the real CreateSecret operation
 * (envelope encryption included), writing with synchronous=normal to save time; the server then
 * opens the same data dir with its own settings.
 */
export async function seedSecrets(
  config: Config,
  o: {
    count: number;
    valueBytes: number;
    prefix: string;
    accountId: string;
    accessKeyId: string;
    secretAccessKey: string;
    /** Secrets with automatic rotation through this function, due at `due` (ms), with their own values. */
    rotating?: { prefix: string; count: number; lambdaArn: string; value: (i: number) => string; due: number }[];
  },
): Promise<void> {
  pino({ level: "silent" });
  const { provider } = keyProviderFromConfig(config, true);
  const store = new SqliteStore({ path: sqlitePath(config), synchronous: "normal" });
  const envelope = new Envelope(provider);
  await bootstrap(store, envelope, { dataDir: config.dataDir, accountId: o.accountId, accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, now: Date.now() });
  const access = new AccessTracker(store, 60_000, () => {});
  // Seeding creates secrets only: no rotation engine is needed.
  const deps = { store, envelope, authz: new AccountBoundaryAuthorizer(), clock: Date.now, access } as Omit<SecretsDeps, "rotation" | "feed"> as SecretsDeps;
  const ctx: RequestContext = {
    requestId: "seed", region: "us-east-1", sourceIp: "127.0.0.1", userAgent: "seed", secureTransport: false,
    principal: systemPrincipal(o.accountId, "admin"),
  };
  const value = "v".repeat(o.valueBytes);
  for (let i = 0; i < o.count; i++) {
    const n = String(i).padStart(6, "0");
    await createSecret(deps, ctx, { Name: `${o.prefix}${n}`, SecretString: value.slice(0, o.valueBytes - n.length) + n, ClientRequestToken: `seed-token-${n}-000000000000000000000000` });
  }
  for (const group of o.rotating ?? []) {
    for (let i = 0; i < group.count; i++) {
      const name = `${group.prefix}${String(i).padStart(6, "0")}`;
      await createSecret(deps, ctx, { Name: name, SecretString: group.value(i), ClientRequestToken: randomUUID() });
      const s = (await store.getSecretByName(o.accountId, "us-east-1", name))!;
      await store.commit([{ op: "updateSecret", secret: { ...s, rotationEnabled: true, rotationLambdaArn: group.lambdaArn, rotationRules: { AutomaticallyAfterDays: 30 }, nextRotationAt: group.due, rotationDueAt: group.due, revision: s.revision + 1 } }]);
    }
  }
  await access.close();
  await store.close();
}
