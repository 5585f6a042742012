import { readFileSync } from "node:fs";
import type { EnvFileOutput, KubernetesSecretOutput, OutputConfig } from "../config/output-config.js";
import { ENV_NAME, K8S_DATA_KEY } from "../config/output-config.js";
import { jsonMembers, memberText, refBytes, RenderError, type SecretRef, type SecretSource } from "./secret-ref.js";
import { parseTemplate, renderTemplate, TemplateSyntaxError, type ParsedTemplate } from "./template-syntax.js";

/** An output ready to render: its configuration, its parsed template (if any) and every ref it reads. */
export interface PreparedOutput {
  config: OutputConfig;
  template?: ParsedTemplate;
  refs: SecretRef[];
}

/** Reads a template `source` file and collects refs; throws a RenderError naming the output on a syntax error. */
export function prepareOutput(c: OutputConfig): PreparedOutput {
  if (c.kind === "template") {
    let t = c.template;
    if (!t) {
      try {
        t = parseTemplate(readFileSync(c.source!, "utf8"));
      } catch (e) {
        if (e instanceof TemplateSyntaxError) throw new RenderError(`${c.label}: template ${c.source}: ${e.message}`);
        throw new RenderError(`${c.label}: cannot read template ${c.source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    return { config: c, template: t, refs: t.refs };
  }
  return { config: c, refs: [...c.vars.map((v) => v.ref), ...c.from.map((f) => f.ref)] };
}

/** Name → bytes of an env file's or Secret's entries: `vars`/`data` in order, then each `from` secret's keys (later names win). */
async function collect(o: EnvFileOutput | KubernetesSecretOutput, source: SecretSource, nameOk: RegExp, what: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const values = await Promise.all([...o.vars.map((v) => source(v.ref)), ...o.from.map((f) => source(f.ref))]);
  o.vars.forEach((v, i) => out.set(v.name, refBytes(values[i]!, v.ref)));
  o.from.forEach((f, i) => {
    const members = jsonMembers(values[o.vars.length + i]!, f.ref.secretId);
    for (const [k, v] of Object.entries(members)) {
      const name = f.prefix + k;
      if (!nameOk.test(name)) throw new RenderError(`${o.label}: key ${JSON.stringify(k)} of secret ${JSON.stringify(f.ref.secretId)} is not a valid ${what}`);
      out.set(name, Buffer.from(memberText(v), "utf8"));
    }
  });
  return out;
}

/**
 * A `.env` line per entry: `NAME="value"` with `\`, `"`, `$`, newline and carriage return
 * escaped (what dotenv, docker compose and systemd's EnvironmentFile read back unchanged).
 */
export function envFileText(entries: Map<string, Buffer>): string {
  let s = "";
  for (const [k, v] of entries) {
    const esc = v.toString("utf8").replace(/[\\"$\n\r]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`));
    s += `${k}="${esc}"\n`;
  }
  return s;
}

/** A Kubernetes Secret manifest (YAML; strings JSON-quoted, which YAML reads as they are), data base64, keys sorted. */
export function kubernetesSecretText(o: Pick<KubernetesSecretOutput, "name" | "namespace" | "type">, entries: Map<string, Buffer>): string {
  const q = JSON.stringify;
  let s = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${q(o.name)}\n`;
  if (o.namespace) s += `  namespace: ${q(o.namespace)}\n`;
  s += `type: ${q(o.type)}\n`;
  const keys = [...entries.keys()].sort();
  s += keys.length === 0 ? "data: {}\n" : "data:\n";
  for (const k of keys) s += `  ${q(k)}: ${q(entries.get(k)!.toString("base64"))}\n`;
  return s;
}

/** The bytes of an output. Rejects with a RenderError (no value in it) or the upstream's error. */
export async function renderOutput(p: PreparedOutput, source: SecretSource): Promise<Buffer> {
  const c = p.config;
  if (c.kind === "template") return renderTemplate(p.template!, source);
  if (c.kind === "env") return Buffer.from(envFileText(await collect(c, source, ENV_NAME, "environment variable name")), "utf8");
  return Buffer.from(kubernetesSecretText(c, await collect(c, source, K8S_DATA_KEY, "Secret data key")), "utf8");
}
