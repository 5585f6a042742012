import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writePrivateFile } from "../fs/private-file.js";
import { recordOf, type AuditCheckpoint, type AuditEntry, type AuditRecord } from "./records.js";

/** The `prevHash` of a chain's first record. */
export const GENESIS = "0".repeat(64);

/**
 * The bytes a record's hash covers: every field but the hashes, in a fixed order, absent
 * fields as null (JSON of an array, so that key order and spacing cannot vary). Version 1.
 */
export function canonical(r: Omit<AuditRecord, "prevHash" | "hash">): string {
  return JSON.stringify([
    1, r.chain, r.seq, r.time, r.requestId, r.api, r.operation, r.accountId ?? null, r.principalArn ?? null, r.accessKeyId ?? null,
    r.region ?? null, r.sourceIp, r.userAgent, r.secretArn ?? null, r.secretName ?? null, r.versionId ?? null, r.versionStage ?? null,
    r.outcome, r.status, r.errorCode ?? null, r.durationMs,
  ]);
}

export function recordHash(key: Buffer, prevHash: string, r: Omit<AuditRecord, "prevHash" | "hash">): string {
  return hashCanonical(key, prevHash, canonical(r));
}

/** The hash of a record whose canonical form (`canonical`) is `text`. */
export function hashCanonical(key: Buffer, prevHash: string, text: string): string {
  return createHmac("sha256", key).update(`${prevHash}\n${text}`).digest("hex");
}

/** `e` as record `seq` of `chain`, linked to the record hashing to `prevHash`. */
export function seal(key: Buffer, chain: string, seq: number, prevHash: string, e: AuditEntry): AuditRecord {
  const r = recordOf(chain, seq, prevHash, "", e);
  r.hash = recordHash(key, prevHash, r);
  return r;
}

function checkpointMac(key: Buffer, c: Omit<AuditCheckpoint, "sig">): string {
  return createHmac("sha256", key).update(`keyshift-audit-${c.kind}\n${c.chain}\n${c.seq}\n${c.hash}\n${c.time}`).digest("hex");
}

export function signCheckpoint(key: Buffer, c: Omit<AuditCheckpoint, "sig">): AuditCheckpoint {
  return { kind: c.kind, chain: c.chain, seq: c.seq, hash: c.hash, time: c.time, sig: checkpointMac(key, c) };
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkpointValid(key: Buffer, c: AuditCheckpoint): boolean {
  return typeof c.sig === "string" && sameHex(checkpointMac(key, c), c.sig);
}

/**
 * The audit key (32 random bytes, hex) in `path`, created 0600 on first use. Whoever holds it
 * can forge a chain: it lives beside the data, like the master key, and is never logged.
 */
export function loadAuditKey(path: string, create: boolean): Buffer {
  if (!existsSync(path)) {
    if (!create) throw new Error(`no audit key at ${path}`);
    writePrivateFile(path, randomBytes(32).toString("hex") + "\n");
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  if (key.length !== 32) throw new Error(`the audit key at ${path} is not 32 bytes of hex`);
  return key;
}
