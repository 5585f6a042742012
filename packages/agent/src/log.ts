import { appendFileSync, mkdirSync, renameSync, statSync, rmSync } from "node:fs";
import { dirname } from "node:path";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "NONE";
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, NONE: 99 };

export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * The agent's log: one text line per event (`<ISO time> <LEVEL> <message> key=value ...`).
 * Fields carry secret names, ARNs, version ids, statuses and timings, never a secret value:
 * nothing that holds a value is ever passed to it.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Where log lines go: stderr, or a file rotated at `maxBytes` keeping `keep` old files (as the AWS agent's log_to_file). */
export type LogSink = (line: string) => void;

export function stderrSink(line: string): void {
  process.stderr.write(line);
}

/** `logs/secrets_manager_agent.log`, 10 MB × 5, like the AWS agent. */
export function rotatingFileSink(path: string, maxBytes = 10 * 1024 * 1024, keep = 5): LogSink {
  mkdirSync(dirname(path), { recursive: true });
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    /* new file */
  }
  return (line) => {
    if (size + line.length > maxBytes) {
      rmSync(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        try {
          renameSync(`${path}.${i}`, `${path}.${i + 1}`);
        } catch {
          /* not there yet */
        }
      }
      try {
        renameSync(path, `${path}.1`);
      } catch {
        /* nothing to rotate */
      }
      size = 0;
    }
    appendFileSync(path, line, { mode: 0o600 });
    size += Buffer.byteLength(line);
  };
}

function format(fields: LogFields | undefined): string {
  if (!fields) return "";
  let out = "";
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    out += ` ${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`;
  }
  return out;
}

export function createLogger(level: LogLevel, sink: LogSink = stderrSink): Logger {
  const min = RANK[level];
  const at = (l: Exclude<LogLevel, "NONE">) => (msg: string, fields?: LogFields) => {
    if (RANK[l] < min) return;
    sink(`${new Date().toISOString()} ${l} ${msg}${format(fields)}\n`);
  };
  return { debug: at("DEBUG"), info: at("INFO"), warn: at("WARN"), error: at("ERROR") };
}

export const silentLogger: Logger = createLogger("NONE");
