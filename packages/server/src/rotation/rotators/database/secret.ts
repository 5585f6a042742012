/**
 * The database secret JSON as the AWS rotation templates use it:
 * `{ engine, host, port, username, password, dbname, masterarn, ... }`. Every other field is
 * kept as it is when a new version is written.
 */
import { RotationError, type StepRequest } from "../../rotator.js";
import { jsonSecret, pendingValue } from "../common.js";
import type { DbLogin, EngineSpec } from "./driver.js";
import { tlsSettings } from "./tls.js";

export interface DbSecret {
  engine: string | undefined;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string | undefined;
  /** Alternating users: ARN or name of the secret holding the administrator credential. */
  masterarn: string | undefined;
  /** The whole JSON object, other fields included. */
  fields: Record<string, unknown>;
}

/** Parses and checks a secret value (`what` names it in errors: "AWSCURRENT", "master secret"). */
export function parseDbSecret(text: string | undefined, what: string, spec: EngineSpec): DbSecret {
  const fields = jsonSecret(text, what);
  const str = (key: string, required: boolean): string | undefined => {
    const v = fields[key];
    if (v === undefined || v === null) {
      if (required) throw new RotationError(`the ${what} value has no "${key}" field`);
      return undefined;
    }
    if (typeof v !== "string") throw new RotationError(`the ${what} value's "${key}" field is not a string`);
    if (required && key !== "password" && v === "") throw new RotationError(`the ${what} value's "${key}" field is empty`);
    return v;
  };
  const engine = str("engine", false);
  if (engine !== undefined && !spec.engines.includes(engine)) {
    throw new RotationError(`the ${what} value's engine is "${engine}": this rotator handles ${spec.engines.map((e) => `"${e}"`).join(" or ")}`);
  }
  let port = spec.defaultPort;
  const p = fields.port;
  if (p !== undefined && p !== null && p !== "") {
    port = typeof p === "number" ? p : typeof p === "string" && /^\d+$/.test(p) ? Number(p) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RotationError(`the ${what} value's "port" field is not a port number`);
  }
  return {
    engine,
    host: str("host", true)!,
    port,
    username: str("username", true)!,
    password: str("password", true)!,
    dbname: str("dbname", false) || spec.defaultDbname,
    masterarn: str("masterarn", false) || undefined,
    fields,
  };
}

/** The login for `s` under the rotation's TLS options. */
export function loginFor(req: StepRequest, s: DbSecret, what: string): DbLogin {
  return { host: s.host, port: s.port, username: s.username, password: s.password, dbname: s.dbname, ...tlsSettings(req.options, s.fields, what) };
}

/** Where a secret points, for messages: "postgres at host:port". */
export function where(spec: EngineSpec, s: { host: string; port: number }): string {
  return `${spec.label} at ${s.host}:${s.port}`;
}

/** The other login of an alternating pair: `user` ↔ `user_clone` (AWS templates' get_alt_username). */
export function alternateUsername(username: string, maxLength: number): string {
  const suffix = "_clone";
  if (username.endsWith(suffix) && username.length > suffix.length) return username.slice(0, -suffix.length);
  const alt = username + suffix;
  if (alt.length > maxLength) throw new RotationError(`cannot alternate user ${username}: with "${suffix}" appended it is longer than ${maxLength} characters`);
  return alt;
}

async function stageValue(req: StepRequest, stage: string): Promise<string | undefined> {
  try {
    return (await req.client.getSecretValue({ SecretId: req.secretArn, VersionStage: stage })).SecretString;
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

/** The AWSCURRENT credential (required). */
export async function currentSecret(req: StepRequest, spec: EngineSpec): Promise<DbSecret> {
  const text = await stageValue(req, "AWSCURRENT");
  if (text === undefined) throw new RotationError("the secret has no AWSCURRENT value");
  return parseDbSecret(text, "AWSCURRENT", spec);
}

/** The AWSPENDING credential of this rotation (required: createSecret wrote it). */
export async function pendingSecret(req: StepRequest, spec: EngineSpec): Promise<DbSecret> {
  const text = await pendingValue(req);
  if (text === undefined) throw new RotationError("the AWSPENDING version has no value yet (createSecret has not run)");
  return parseDbSecret(text, "AWSPENDING", spec);
}

/** The AWSPREVIOUS credential, when there is one and it parses. */
export async function previousSecret(req: StepRequest, spec: EngineSpec): Promise<DbSecret | undefined> {
  const text = await stageValue(req, "AWSPREVIOUS");
  if (text === undefined) return undefined;
  try {
    return parseDbSecret(text, "AWSPREVIOUS", spec);
  } catch {
    return undefined;
  }
}
