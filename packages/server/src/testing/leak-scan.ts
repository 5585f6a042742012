import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";

/*
 * The whole-suite leak scan (issue #6, docs/audit.md). `npm test` sets KEYSHIFT_LEAK_SCAN to a
 * fresh directory for the run (scripts/run-tests.mjs). While it is set, every test's secret values
 * are the markers: the AWS SDK client of the tests (sm-client.ts) records each SecretString and
 * SecretBinary it sends or receives; every test server logs at trace level into the directory,
 * mirrors its audit trail into a file there, posts every notification to a receiver that keeps the
 * bodies there; at its end the server's metrics, log
 * output and stored audit records are written there too. After the run, leak-report.ts looks for
 * every recorded value in everything else in the directory.
 */

export function leakScanDir(): string | undefined {
  const d = process.env.KEYSHIFT_LEAK_SCAN;
  return d && d !== "off" && existsSync(d) ? d : undefined;
}

let seq = 0;
/** A new file name in the scan directory for output of this process. */
export function leakOutputPath(kind: string): string {
  return join(leakScanDir()!, `out-${process.pid}-${++seq}-${kind}`);
}

/**
 * Records a value a test stored or read (the report looks for it everywhere else), or a name the
 * test gave a secret (`kind` name: a test that stores a secret's name as its value is not a leak).
 */
export function recordLeakValue(v: string | Uint8Array | undefined, kind: "values" | "names" = "values"): void {
  const dir = leakScanDir();
  if (!dir || v === undefined) return;
  const text = typeof v === "string" ? v : Buffer.from(v).toString("base64");
  appendFileSync(join(dir, `${kind}-${process.pid}.jsonl`), JSON.stringify(text) + "\n");
}

let receiver: Promise<string> | undefined;
/** One webhook receiver per test process, keeping every body (and its headers) in the scan directory. */
export function leakReceiverUrl(): Promise<string> {
  receiver ??= new Promise((resolve) => {
    const file = join(leakScanDir()!, `out-${process.pid}-notifications`);
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        appendFileSync(file, `${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString("utf8")}\n`);
        res.end("ok");
      });
    });
    server.listen(0, "127.0.0.1", () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/leak-scan`);
    });
  });
  return receiver;
}

/** Config overrides that switch every output on, for the sections a test did not configure itself. */
export async function leakConfigOverrides(own: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  const o: Record<string, unknown> = {};
  if (!own?.audit) o.audit = { file: { path: leakOutputPath("audit.log"), fsync: false } };
  if (!own?.notifications) o.notifications = { webhooks: [{ name: "leak-scan", url: await leakReceiverUrl(), secret: "leak-scan-webhook-secret" }], retryBaseSeconds: 0.05 };
  return o;
}

/** Writes the stored audit records of a (closed) data dir's database to the scan directory. */
export function captureStoredAudit(dataDir: string): void {
  const path = join(dataDir, "keyshift.db");
  if (!leakScanDir() || !existsSync(path)) return;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const hasBlocks = db.prepare(`SELECT 1 FROM sqlite_master WHERE name='audit_blocks'`).get() !== undefined;
    if (hasBlocks) writeFileSync(leakOutputPath("stored-audit"), (db.prepare(`SELECT records FROM audit_blocks`).pluck().all() as string[]).join("\n"));
  } finally {
    db.close();
  }
}

/** Writes text produced by a test server (its log output, its metrics) to the scan directory. */
export function captureLeakOutput(kind: string, text: string): void {
  if (leakScanDir()) writeFileSync(leakOutputPath(kind), text);
}

/**
 * Values to look for, long enough to be unlikely by chance: whole values, and the members of JSON
 * values that hold the secret part (password, secret, token, key...; a username or a host is not).
 */
export function leakNeedles(values: Iterable<string>, minLength = 10): Set<string> {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.length >= minLength) out.add(s);
  };
  const walk = (v: unknown, secretish: boolean) => {
    if (typeof v === "string") {
      if (secretish) add(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, secretish));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, secretish || /pass|secret|token|key|credential/i.test(k));
  };
  for (const v of values) {
    add(v);
    if (v.startsWith("{") || v.startsWith("[")) {
      try {
        walk(JSON.parse(v), false);
      } catch {
        /* not JSON */
      }
    }
  }
  return out;
}

/** The strings recorded in the scan directory's `${kind}-<pid>.jsonl` files. */
export function recorded(dir: string, files: readonly string[], kind: "values" | "names"): string[] {
  return files
    .filter((f) => f.startsWith(`${kind}-`))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as string));
}

/** The values looked for (recorded values, less the names) and every one found in the scan directory's outputs: [value, file] pairs. */
export function findLeaks(dir: string, files: readonly string[]): { needles: number; leaks: { value: string; file: string }[] } {
  const names = new Set(recorded(dir, files, "names"));
  const needles = new Set([...leakNeedles(recorded(dir, files, "values"))].filter((n) => !names.has(n)));
  if (needles.size === 0) return { needles: 0, leaks: [] };
  // One pass per file: the values as they are, as they read inside a JSON string, and inside a JSON string within one (a logged body).
  const forms = new Map<string, string>();
  const inJson = (x: string) => JSON.stringify(x).slice(1, -1);
  for (const n of needles) {
    forms.set(n, n);
    forms.set(inJson(n), n);
    forms.set(inJson(inJson(n)), n);
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // Patterns of at most ~30,000 characters each (a regular expression has a size limit); very long values on their own.
  const long = [...forms.keys()].filter((f) => f.length > 2000);
  const patterns: RegExp[] = [];
  let group: string[] = [];
  let size = 0;
  for (const f of [...forms.keys()].filter((f) => f.length <= 2000).sort((a, b) => b.length - a.length)) {
    group.push(escape(f));
    size += f.length + 1;
    if (size > 30_000) {
      patterns.push(new RegExp(group.join("|"), "g"));
      group = [];
      size = 0;
    }
  }
  if (group.length) patterns.push(new RegExp(group.join("|"), "g"));
  const found: { value: string; file: string }[] = [];
  for (const f of files.filter((f) => f.startsWith("out-"))) {
    const text = readFileSync(join(dir, f), "utf8");
    const seen = new Set<string>();
    const hit = (form: string) => {
      const v = forms.get(form)!;
      if (!seen.has(v)) found.push({ value: v, file: f });
      seen.add(v);
    };
    for (const re of patterns) for (const m of text.matchAll(re)) hit(m[0]);
    for (const l of long) if (text.includes(l)) hit(l);
  }
  return { needles: needles.size, leaks: found };
}
