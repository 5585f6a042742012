import type { AuditCheckpoint, AuditRecord } from "./records.js";

/* The JSON-lines format of the file and stdout sinks: `{"audit": record}` and `{"auditCheckpoint": checkpoint}`, one per line. */

export function formatLines(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): string {
  let text = "";
  for (const r of records) text += JSON.stringify({ audit: r }) + "\n";
  for (const c of checkpoints) text += JSON.stringify({ auditCheckpoint: c }) + "\n";
  return text;
}

export type AuditLine = { record: AuditRecord } | { checkpoint: AuditCheckpoint } | { invalid: string };

export function parseLine(line: string): AuditLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { invalid: "not JSON" };
  }
  if (v && typeof v === "object") {
    const o = v as { audit?: unknown; auditCheckpoint?: unknown };
    if (o.audit && typeof o.audit === "object") return { record: o.audit as AuditRecord };
    if (o.auditCheckpoint && typeof o.auditCheckpoint === "object") return { checkpoint: o.auditCheckpoint as AuditCheckpoint };
  }
  return { invalid: "neither an audit record nor a checkpoint" };
}
