import { refBytes, type SecretRef, type SecretSource } from "./secret-ref.js";

/**
 * The template language, deliberately small (no loops, no conditionals, no access to the
 * environment or the file system):
 *
 *   {{ secret "prod/db" }}                         the whole value (SecretString, or SecretBinary's bytes)
 *   {{ secret "prod/db" "password" }}              one top-level key of a JSON SecretString
 *   {{ secret "prod/db" "password" stage="AWSPREVIOUS" }}   also version="<VersionId>"
 *   {{ secret "prod/db" "password" | json }}       filters: json (a JSON string literal), base64
 *   {{ "{{" }}                                     a string literal (how to write a literal "{{")
 *
 * Strings are JSON string literals. Anything else is a syntax error, reported with its line and
 * column when the configuration is loaded, before anything is fetched.
 */
export type Filter = "json" | "base64";
const FILTERS: readonly Filter[] = ["json", "base64"];

export type TemplatePart = { text: string } | { ref: SecretRef; filters: Filter[] } | { literal: string; filters: Filter[] };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Every secret the template reads (for invalidation). */
  refs: SecretRef[];
}

export class TemplateSyntaxError extends Error {
  override name = "TemplateSyntaxError";
}

type Token = { kind: "string"; value: string } | { kind: "ident"; value: string } | { kind: "=" } | { kind: "|" };

function lineCol(src: string, at: number): string {
  const before = src.slice(0, at);
  const line = before.split("\n").length;
  return `line ${line}, column ${at - before.lastIndexOf("\n")}`;
}

function tokenize(action: string, where: () => string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < action.length) {
    const c = action[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "=" || c === "|") {
      out.push({ kind: c });
      i++;
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(action.slice(i));
      if (!m) throw new TemplateSyntaxError(`unterminated string at ${where()}`);
      let value: string;
      try {
        value = JSON.parse(m[0]) as string;
      } catch {
        throw new TemplateSyntaxError(`bad string literal at ${where()}`);
      }
      out.push({ kind: "string", value });
      i += m[0].length;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(action.slice(i));
      if (!m) throw new TemplateSyntaxError(`unexpected ${JSON.stringify(c)} at ${where()}`);
      out.push({ kind: "ident", value: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

function parseAction(tokens: Token[], where: () => string): Exclude<TemplatePart, { text: string }> {
  const pipe = tokens.findIndex((t) => t.kind === "|");
  const head = pipe < 0 ? tokens : tokens.slice(0, pipe);
  const filters: Filter[] = [];
  if (pipe >= 0) {
    const rest = tokens.slice(pipe);
    for (let i = 0; i < rest.length; i += 2) {
      const bar = rest[i];
      const f = rest[i + 1];
      if (bar?.kind !== "|" || f?.kind !== "ident" || !FILTERS.includes(f.value as Filter)) {
        throw new TemplateSyntaxError(`expected a filter (${FILTERS.join(", ")}) after "|" at ${where()}`);
      }
      filters.push(f.value as Filter);
    }
  }
  const first = head[0];
  if (first?.kind === "string" && head.length === 1) return { literal: first.value, filters };
  if (first?.kind !== "ident" || first.value !== "secret") throw new TemplateSyntaxError(`expected secret "<id>" or a string literal at ${where()}`);
  const positional: string[] = [];
  const named: Record<string, string> = {};
  for (let i = 1; i < head.length; i++) {
    const t = head[i]!;
    if (t.kind === "string" && Object.keys(named).length === 0) positional.push(t.value);
    else if (t.kind === "ident" && (t.value === "stage" || t.value === "version") && head[i + 1]?.kind === "=" && head[i + 2]?.kind === "string") {
      if (named[t.value] !== undefined) throw new TemplateSyntaxError(`${t.value}= given twice at ${where()}`);
      named[t.value] = (head[i + 2] as { value: string }).value;
      i += 2;
    } else throw new TemplateSyntaxError(`unexpected argument to secret at ${where()} (allowed: "<id>" ["<json key>"] [stage="..."] [version="..."])`);
  }
  const [secretId, jsonKey] = positional;
  if (!secretId || positional.length > 2) throw new TemplateSyntaxError(`secret takes an id and optionally a JSON key at ${where()}`);
  const ref: SecretRef = { secretId };
  if (jsonKey !== undefined) ref.jsonKey = jsonKey;
  if (named.stage !== undefined) ref.versionStage = named.stage;
  if (named.version !== undefined) ref.versionId = named.version;
  return { ref, filters };
}

/** Parses a template; throws TemplateSyntaxError (with line and column) on any mistake. */
export function parseTemplate(src: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      parts.push({ text: src.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: src.slice(i, open) });
    const where = () => lineCol(src, open);
    // The closing braces are the first "}}" outside a string literal.
    let j = open + 2;
    let close = -1;
    while (j < src.length) {
      if (src[j] === '"') {
        const m = /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(j));
        if (!m) throw new TemplateSyntaxError(`unterminated string at ${where()}`);
        j += m[0].length;
      } else if (src.startsWith("}}", j)) {
        close = j;
        break;
      } else j++;
    }
    if (close < 0) throw new TemplateSyntaxError(`unclosed {{ at ${where()}`);
    parts.push(parseAction(tokenize(src.slice(open + 2, close), where), where));
    i = close + 2;
  }
  const refs = parts.flatMap((p) => ("ref" in p ? [p.ref] : []));
  return { parts, refs };
}

function applyFilters(b: Buffer, filters: Filter[]): Buffer {
  for (const f of filters) b = Buffer.from(f === "base64" ? b.toString("base64") : JSON.stringify(b.toString("utf8")), "utf8");
  return b;
}

/** Renders a parsed template; rejects on the first secret that cannot be fetched or has no such key. */
export async function renderTemplate(t: ParsedTemplate, source: SecretSource): Promise<Buffer> {
  const chunks = await Promise.all(
    t.parts.map(async (p) => {
      if ("text" in p) return Buffer.from(p.text, "utf8");
      if ("literal" in p) return applyFilters(Buffer.from(p.literal, "utf8"), p.filters);
      return applyFilters(refBytes(await source(p.ref), p.ref), p.filters);
    }),
  );
  return Buffer.concat(chunks);
}
