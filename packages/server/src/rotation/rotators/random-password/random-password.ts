import { randomBytes } from "node:crypto";
import { RotationError, type Rotator, type StepRequest } from "../../rotator.js";
import { currentValue, finishByMovingCurrent, jsonSecret, passwordRequest, pendingValue } from "../common.js";

const FORMATS = ["password", "hex", "base64", "base64url", "apikey"] as const;
type Format = (typeof FORMATS)[number];

function format(options: Readonly<Record<string, string>>): Format {
  const f = options.format ?? "password";
  if (!(FORMATS as readonly string[]).includes(f)) throw new RotationError(`option format must be one of ${FORMATS.join(", ")}`);
  return f as Format;
}

function tokenBytes(options: Readonly<Record<string, string>>): number {
  const n = options.bytes === undefined ? 32 : Number(options.bytes);
  if (!Number.isInteger(n) || n < 16 || n > 1024) throw new RotationError("option bytes must be an integer from 16 to 1024");
  return n;
}

/** A fresh value in the configured format: a password (GetRandomPassword rules), or a token of `bytes` random bytes. */
async function freshValue(req: StepRequest): Promise<string> {
  const f = format(req.options);
  if (f === "password") return req.client.getRandomPassword(passwordRequest(req.options));
  const b = randomBytes(tokenBytes(req.options));
  if (f === "hex") return b.toString("hex");
  if (f === "base64") return b.toString("base64");
  const token = b.toString("base64url");
  return f === "apikey" ? `${req.options.prefix ?? "ks_"}${token}` : token;
}

function checkFormat(value: string, req: StepRequest): void {
  const f = format(req.options);
  const ok =
    f === "password" ? value.length > 0
    : f === "hex" ? /^[0-9a-f]+$/.test(value)
    : f === "base64" ? /^[A-Za-z0-9+/]+=*$/.test(value)
    : f === "base64url" ? /^[A-Za-z0-9_-]+$/.test(value)
    : value.startsWith(req.options.prefix ?? "ks_");
  if (!ok) throw new RotationError(`testSecret: the pending value is not a ${f}`);
}

/**
 * `keyshift-random-password`: rotates values no external system checks (tokens Keyshift issues,
 * encryption keys). Options: `format` (password | hex | base64 | base64url | apikey), `bytes`
 * for tokens (default 32), `prefix` for API keys (default `ks_`), `passwordLength` and
 * `excludeCharacters` for passwords, and `jsonKey`: for a JSON secret, the one field to
 * replace (the others are kept).
 */
export const randomPasswordRotator: Rotator = {
  name: "keyshift-random-password",
  description: "New random password, token or API key; optionally one field of a JSON secret",
  async createSecret(req) {
    if ((await pendingValue(req)) !== undefined) return;
    const fresh = await freshValue(req);
    let value = fresh;
    const key = req.options.jsonKey;
    if (key !== undefined) {
      const current = await currentValue(req);
      const doc = current === undefined ? {} : jsonSecret(current, "AWSCURRENT");
      value = JSON.stringify({ ...doc, [key]: fresh });
    }
    await req.client.putSecretValue({ SecretId: req.secretArn, ClientRequestToken: req.token, SecretString: value, VersionStages: ["AWSPENDING"] });
  },
  async setSecret() {
    // Nothing outside Keyshift checks this value.
  },
  async testSecret(req) {
    const pending = await pendingValue(req);
    if (pending === undefined) throw new RotationError("testSecret: the AWSPENDING version has no value");
    const key = req.options.jsonKey;
    if (key === undefined) return checkFormat(pending, req);
    const field = jsonSecret(pending, "AWSPENDING")[key];
    if (typeof field !== "string") throw new RotationError(`testSecret: the pending JSON has no string field ${key}`);
    checkFormat(field, req);
  },
  finishSecret: finishByMovingCurrent,
};
