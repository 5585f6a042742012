/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function fail(line: number, why: string): never {
  throw new Error(`line ${line}: ${why}`);
}

/** As Prometheus reads values (Go's strconv.ParseFloat): Inf and NaN in any letter case. */
function parseValue(s: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) fail(line, `bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** `{a="x",b="y"}` from position `i` (at `{`); returns the labels and the index after `}`. */
function parseLabels(src: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (src[i] === "}") return [labels, i + 1];
    const eq = src.indexOf("=", i);
    if (eq < 0) fail(line, "label without =");
    const name = src.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) fail(line, `bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) fail(line, `label ${name} twice`);
    if (src[eq + 1] !== '"') fail(line, "label value not quoted");
    let j = eq + 2;
    let v = "";
    for (; j < src.length && src[j] !== '"'; j++) {
      if (src[j] === "\\") {
        const n = src[++j];
        if (n === "n") v += "\n";
        else if (n === "\\" || n === '"') v += n;
        else fail(line, `bad escape \\${n}`);
      } else v += src[j];
    }
    if (j >= src.length) fail(line, "unterminated label value");
    labels[name] = v;
    i = j + 1;
    if (src[i] === ",") i++;
    else if (src[i] !== "}") fail(line, "expected , or }");
  }
}

/** The family a sample belongs to: histogram/summary samples carry a suffix. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return undefined;
}

/**
 * A strict parser of the Prometheus text exposition format 0.0.4: every family has exactly one
 * HELP and one TYPE before its samples, families are contiguous, names and labels are valid, no
 * series appears twice, and histograms are consistent (an `le` on every bucket, cumulative counts
 * non-decreasing in `le`, a `+Inf` bucket equal to `_count`, a `_sum`). Throws on the first violation.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | undefined;
  const lines = text.split("\n");
  if (lines[lines.length - 1] !== "") fail(lines.length, "the exposition must end with a newline");
  for (const [idx, raw] of lines.entries()) {
    const n = idx + 1;
    if (raw === "") continue;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) continue; // a comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) fail(n, `bad metric name ${name}`);
      let f = families.get(name);
      if (f && f !== current) fail(n, `family ${name} is not contiguous`);
      if (!f) {
        f = { name, help: "", type: "untyped", samples: [] };
        (f as { declared?: Set<string> }).declared = new Set();
        families.set(name, f);
      }
      const declared = (f as unknown as { declared: Set<string> }).declared;
      if (declared.has(kind)) fail(n, `${kind} of ${name} twice`);
      if (f.samples.length > 0) fail(n, `${kind} of ${name} after its samples`);
      declared.add(kind);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) fail(n, `bad type ${rest}`);
        f.type = rest as Family["type"];
      } else f.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      current = f;
      continue;
    }
    const nameEnd = raw.search(/[{ ]/);
    if (nameEnd <= 0) fail(n, "sample without a value");
    const name = raw.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(n, `bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (raw[i] === "{") [labels, i] = parseLabels(raw, i, n);
    const parts = raw.slice(i).trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === "") fail(n, "expected a value and an optional timestamp");
    const value = parseValue(parts[0]!, n);
    const f = familyOf(name, families);
    if (!f) fail(n, `sample ${name} without HELP/TYPE`);
    if (f !== current) fail(n, `sample ${name} outside its family's block`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail(n, `series ${key} twice`);
    series.add(key);
    if (f.type === "histogram" && name.endsWith("_bucket") && labels.le === undefined) fail(n, "bucket without le");
    f.samples.push({ name, labels, value });
  }
  for (const f of families.values()) {
    delete (f as { declared?: unknown }).declared;
    if (f.type === "histogram") checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) g.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${key}: _sum or _count missing`);
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.some(([le]) => Number.isNaN(le))) throw new Error(`${f.name}${key}: bad le`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${f.name}${key}: bucket le=${sorted[i]![0]} below le=${sorted[i - 1]![0]}`);
    const inf = sorted[sorted.length - 1];
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${inf[1]} differs from _count ${g.count}`);
  }
}

/** The value of the sample `name` whose labels include `labels` (sum over the matching series). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}
