import { randomInt } from "node:crypto";
import { join } from "node:path";
import type { Envelope } from "../crypto/envelope.js";
import { writePrivateFile } from "../fs/private-file.js";
import type { Store } from "../storage/store.js";
import { createAccessKey } from "./access-keys.js";

export const DEFAULT_ACCOUNT_META = "default-account-id";
export const ADMIN_USER = "admin";

export interface BootstrapOptions {
  dataDir: string;
  accountId?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  now: number;
}

export interface BootstrapResult {
  accountId: string;
  /** Set when this start created the admin key and wrote it to the credentials file. */
  credentialsFile?: string;
}

function randomAccountId(): string {
  let s = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) s += String(randomInt(10));
  return s;
}

/**
 * First start: creates the default account and an admin access key, and writes the key as an
 * AWS shared-credentials file (profile `default`, 0600) in the data dir. The secret key is
 * written there only, never printed. A bootstrap key given in the configuration is made to
 * exist on every start (idempotent), so automation can rely on it.
 */
export async function bootstrap(store: Store, envelope: Envelope, o: BootstrapOptions): Promise<BootstrapResult> {
  let accountId = await store.getMeta(DEFAULT_ACCOUNT_META);
  const fresh = accountId === undefined;
  if (accountId === undefined) {
    accountId = o.accountId ?? randomAccountId();
    if (!(await store.getAccount(accountId))) await store.insertAccount({ id: accountId, name: "default", createdAt: o.now });
    await store.setMeta(DEFAULT_ACCOUNT_META, accountId);
  }
  const result: BootstrapResult = { accountId };
  // The account's administrator (also for data dirs created before users existed).
  if (!(await store.getUser(accountId, ADMIN_USER))) await store.insertUser({ accountId, userName: ADMIN_USER, admin: true, tags: {}, createdAt: o.now });
  if (o.accessKeyId && o.secretAccessKey) {
    const existing = await store.getAccessKey(o.accessKeyId);
    if (!existing) {
      await createAccessKey(store, envelope, { accountId, userName: ADMIN_USER, accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, now: o.now });
      if (fresh) result.credentialsFile = writeCredentialsFile(o.dataDir, o.accessKeyId, o.secretAccessKey, accountId);
    }
  } else if (fresh) {
    const k = await createAccessKey(store, envelope, { accountId, userName: ADMIN_USER, now: o.now });
    result.credentialsFile = writeCredentialsFile(o.dataDir, k.accessKeyId, k.secretAccessKey, accountId);
  }
  return result;
}

export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials");
}

function writeCredentialsFile(dataDir: string, accessKeyId: string, secretAccessKey: string, accountId: string): string {
  const path = credentialsPath(dataDir);
  writePrivateFile(
    path,
    `# Keyshift admin access key of account ${accountId}, written at first start.\n` +
      `# Use it with: AWS_SHARED_CREDENTIALS_FILE=${path} aws --endpoint-url <endpoint> secretsmanager ...\n` +
      `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`,
  );
  return path;
}
