import type { CallRecord } from "../http/call-record.js";
import { outcomeOf, type AuditEntry } from "./records.js";

const MAX_TEXT = 512;
const clip = (s: string) => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);

/**
 * The audit entries of one call: one, or for BatchGetSecretValue one per secret whose value it
 * returned (same request id), so that "who read this secret" finds batch reads too. Only
 * metadata is copied: a CallRecord carries no value.
 */
export function entriesOf(c: CallRecord, accountOfKey?: (accessKeyId: string) => string | undefined): AuditEntry[] {
  const base: AuditEntry = {
    time: c.time,
    requestId: c.requestId,
    api: c.api,
    operation: c.operation ?? "Unknown",
    // A refused call belongs to the account of the key it claimed (if that key exists), so that the account's own audit queries show it.
    accountId: c.principal?.accountId ?? (c.accessKeyId ? accountOfKey?.(c.accessKeyId) : undefined),
    principalArn: c.principal?.arn,
    accessKeyId: c.accessKeyId ?? (c.principal?.accessKeyId || undefined),
    region: c.region,
    sourceIp: clip(c.sourceIp),
    userAgent: clip(c.userAgent),
    secretArn: c.secretArn,
    secretName: c.secretName,
    versionId: c.versionId,
    versionStage: c.versionStage,
    outcome: outcomeOf(c.status, c.errorCode),
    status: c.status,
    errorCode: c.errorCode,
    // Rounded so that the number survives every store's float column and JSON unchanged (it is hashed).
    durationMs: Math.round(c.durationMs * 1000) / 1000,
  };
  const items = c.secrets;
  if (!items || items.length === 0) return [base];
  return items.map((s) => ({ ...base, secretArn: s.arn, secretName: s.name, versionId: s.versionId, versionStage: s.versionStage }));
}
