import { formatLines } from "../lines.js";
import type { AuditCheckpoint, AuditRecord } from "../records.js";
import type { AuditSink } from "./sink.js";

/** JSON lines on stdout (a container's log collector picks them up); the file sink's line format. */
export class StdoutSink implements AuditSink {
  readonly name = "stdout";
  readonly durable = false;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): void {
    const text = formatLines(records, checkpoints);
    if (text) this.out.write(text);
  }

  async close(): Promise<void> {}
}
