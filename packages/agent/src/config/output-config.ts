import { resolve } from "node:path";
import type { SecretRef } from "../outputs/secret-ref.js";
import { parseTemplate, TemplateSyntaxError, type ParsedTemplate } from "../outputs/template-syntax.js";
import { isTable, TableReader } from "./table-reader.js";

/** What every rendered file has: where it goes and what runs after its content changes. */
export interface OutputCommon {
  /** `template[0]`, `env_file[1]`, ...: how logs and errors name it. */
  label: string;
  /** Absolute path. Written atomically, mode 0600. */
  destination: string;
  /** Run with `/bin/sh -c` after the file's content changed (not by --once). */
  command?: string;
  /** Changes within this window run the command once. */
  commandDebounceMs: number;
  commandTimeoutSeconds: number;
}

export interface TemplateOutput extends OutputCommon {
  kind: "template";
  /** Inline templates are parsed with the configuration; `source` files when the agent starts. */
  template?: ParsedTemplate;
  source?: string;
}

/** A named entry: one ref, or every top-level key of a JSON secret (`from`, with a prefix). */
export interface Entries {
  vars: { name: string; ref: SecretRef }[];
  from: { ref: SecretRef; prefix: string }[];
}

export interface EnvFileOutput extends OutputCommon, Entries {
  kind: "env";
}

export interface KubernetesSecretOutput extends OutputCommon, Entries {
  kind: "kubernetes";
  name: string;
  namespace?: string;
  type: string;
}

export type OutputConfig = TemplateOutput | EnvFileOutput | KubernetesSecretOutput;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const K8S_DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function common(r: TableReader, label: string, baseDir: string): OutputCommon {
  if (!r.has("destination")) r.fail("destination", "is required");
  const destination = r.str("destination");
  const command = r.str("command");
  return {
    label,
    destination: resolve(baseDir, destination ?? ""),
    ...(command !== undefined ? { command } : {}),
    commandDebounceMs: r.int("command_debounce_ms", 1000, 0, 600_000),
    commandTimeoutSeconds: r.int("command_timeout_seconds", 60, 1, 3600),
  };
}

/** `secret = "prod/db"` plus optional `key`, `version_stage`, `version_id` of a ref table. */
function readRef(r: TableReader, allowKey: boolean): SecretRef | undefined {
  if (!r.has("secret")) r.fail("secret", "is required");
  const secretId = r.str("secret");
  const jsonKey = allowKey ? r.str("key") : undefined;
  const versionStage = r.str("version_stage");
  const versionId = r.str("version_id");
  if (secretId === undefined) return undefined;
  return { secretId, ...(jsonKey !== undefined ? { jsonKey } : {}), ...(versionStage ? { versionStage } : {}), ...(versionId ? { versionId } : {}) };
}

/** `vars`/`data` entries are `"prod/db"` or `{ secret = "prod/db", key = "password", ... }`; `[[from]]` tables add `prefix`. */
function entries(r: TableReader, mapKey: "vars" | "data", nameOk: RegExp, what: string): Entries {
  const vars: Entries["vars"] = [];
  for (const [name, v] of Object.entries(r.table_(mapKey) ?? {})) {
    if (!nameOk.test(name)) r.fail(`${mapKey}.${name}`, `is not a valid ${what}`);
    if (typeof v === "string" && v !== "") {
      vars.push({ name, ref: { secretId: v } });
    } else if (isTable(v)) {
      const sub = new TableReader(v, `${r.path}.${mapKey}.${name}`, r.errors);
      const x = readRef(sub, true);
      sub.finish();
      if (x) vars.push({ name, ref: x });
    } else r.fail(`${mapKey}.${name}`, 'must be a secret id or { secret = "...", key = "..." }');
  }
  const from: Entries["from"] = [];
  r.tables("from").forEach((t, i) => {
    const sub = new TableReader(t, `${r.path}.from[${i}]`, r.errors);
    const x = readRef(sub, false);
    const prefix = sub.raw("prefix");
    if (prefix !== undefined && typeof prefix !== "string") sub.fail("prefix", "must be a string");
    sub.finish();
    if (x) from.push({ ref: x, prefix: typeof prefix === "string" ? prefix : "" });
  });
  if (vars.length === 0 && from.length === 0) r.errors.push(`${r.path} needs ${mapKey} entries or [[...from]] secrets`);
  return { vars, from };
}

/**
 * The output sections of the agent's TOML (`[[template]]`, `[[env_file]]`,
 * `[[kubernetes_secret]]`; see the package README). Paths are resolved against `baseDir`.
 */
export function readOutputs(top: TableReader, baseDir: string): OutputConfig[] {
  const out: OutputConfig[] = [];
  top.tables("template").forEach((t, i) => {
    const label = `template[${i}]`;
    const r = new TableReader(t, label, top.errors);
    const c = common(r, label, baseDir);
    const contents = r.raw("contents");
    const source = r.str("source");
    let template: ParsedTemplate | undefined;
    if (contents !== undefined && typeof contents !== "string") r.fail("contents", "must be a string");
    else if (typeof contents === "string") {
      try {
        template = parseTemplate(contents);
      } catch (e) {
        if (!(e instanceof TemplateSyntaxError)) throw e;
        r.fail("contents", `has a template error: ${e.message}`);
      }
    }
    if ((contents === undefined) === (source === undefined)) r.errors.push(`${label} needs exactly one of contents and source`);
    r.finish();
    out.push({ kind: "template", ...c, ...(template ? { template } : {}), ...(source !== undefined ? { source: resolve(baseDir, source) } : {}) });
  });
  top.tables("env_file").forEach((t, i) => {
    const label = `env_file[${i}]`;
    const r = new TableReader(t, label, top.errors);
    const c = common(r, label, baseDir);
    const e = entries(r, "vars", ENV_NAME, "environment variable name");
    r.finish();
    out.push({ kind: "env", ...c, ...e });
  });
  top.tables("kubernetes_secret").forEach((t, i) => {
    const label = `kubernetes_secret[${i}]`;
    const r = new TableReader(t, label, top.errors);
    const c = common(r, label, baseDir);
    const name = r.str("name");
    if (name === undefined) r.fail("name", "is required");
    else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) r.fail("name", "must be a DNS subdomain name (lower-case letters, digits, '-' and '.')");
    const namespace = r.str("namespace");
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) r.fail("namespace", "must be a DNS label (lower-case letters, digits and '-', at most 63)");
    const type = r.str("type", "Opaque");
    const e = entries(r, "data", K8S_DATA_KEY, "Secret data key (letters, digits, '-', '_', '.')");
    r.finish();
    out.push({ kind: "kubernetes", ...c, name: name ?? "", ...(namespace ? { namespace } : {}), type, ...e });
  });
  const seen = new Map<string, string>();
  for (const o of out) {
    const other = seen.get(o.destination);
    if (other) top.errors.push(`${o.label}.destination is also ${other}.destination (${o.destination})`);
    seen.set(o.destination, o.label);
  }
  return out;
}
