/**
 * Reads one TOML table strictly: every accessor records the key as known, checks its type and
 * range and falls back to the default when the key is absent; `finish()` reports the keys
 * nobody asked for. Problems are collected (all of them, with their path) instead of thrown, so
 * that one run of the parser names every mistake in a file.
 */
export class TableReader {
  private readonly known = new Set<string>();

  constructor(
    readonly table: Record<string, unknown>,
    /** `""` for the top level, else e.g. `template[0]`. */
    readonly path: string,
    readonly errors: string[],
  ) {}

  private name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, problem: string): void {
    this.errors.push(`${this.name(key)} ${problem}`);
  }

  has(key: string): boolean {
    this.known.add(key);
    return this.table[key] !== undefined;
  }

  raw(key: string): unknown {
    this.known.add(key);
    return this.table[key];
  }

  /**
   * An integer in [min, max]. The AWS agent's own config file quotes its numbers
   * (`http_port = "2773"`), so a string of digits is accepted as well as a TOML integer.
   */
  int(key: string, def: number, min: number, max: number): number;
  int(key: string, def: undefined, min: number, max: number): number | undefined;
  int(key: string, def: number | undefined, min: number, max: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return def;
    let n: number | undefined;
    if (typeof v === "number" && Number.isInteger(v)) n = v;
    else if (typeof v === "bigint") n = Number(v);
    else if (typeof v === "string" && /^-?\d{1,16}$/.test(v.trim())) n = Number(v.trim());
    if (n === undefined || n < min || n > max) {
      this.fail(key, `must be an integer between ${min} and ${max} (got ${JSON.stringify(typeof v === "bigint" ? String(v) : v)})`);
      return def;
    }
    return n;
  }

  /** A boolean; `"true"`/`"false"` (and `"on"`/`"off"`) strings are accepted like the quoted numbers. */
  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (typeof v === "boolean") return v;
    if (typeof v === "string") {
      const s = v.trim().toLowerCase();
      if (s === "true" || s === "on") return true;
      if (s === "false" || s === "off") return false;
    }
    this.fail(key, `must be true or false (got ${JSON.stringify(v)})`);
    return def;
  }

  str(key: string): string | undefined;
  str(key: string, def: string): string;
  str(key: string, def?: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (typeof v !== "string" || v === "") {
      this.fail(key, "must be a non-empty string");
      return def;
    }
    return v;
  }

  strList(key: string, def: readonly string[]): string[] {
    const v = this.raw(key);
    if (v === undefined) return [...def];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x !== "")) {
      this.fail(key, "must be a non-empty list of non-empty strings");
      return [...def];
    }
    return v as string[];
  }

  /** One of `values`, compared case-insensitively (the AWS agent reads `log_level = "info"` too). */
  oneOf<T extends string>(key: string, values: readonly T[], def: T): T {
    const v = this.raw(key);
    if (v === undefined) return def;
    const hit = typeof v === "string" ? values.find((x) => x.toLowerCase() === v.trim().toLowerCase()) : undefined;
    if (!hit) this.fail(key, `must be one of ${values.join(", ")} (got ${JSON.stringify(v)})`);
    return hit ?? def;
  }

  /** A sub-table (`[a.b]` or an inline table), or undefined when absent. */
  table_(key: string): Record<string, unknown> | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!isTable(v)) {
      this.fail(key, "must be a table");
      return undefined;
    }
    return v;
  }

  /** An array of tables (`[[a]]`); empty when absent. */
  tables(key: string): Record<string, unknown>[] {
    const v = this.raw(key);
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every(isTable)) {
      this.fail(key, `must be an array of tables ([[${key}]])`);
      return [];
    }
    return v;
  }

  /** Reports every key of the table that no accessor read. */
  finish(): void {
    for (const k of Object.keys(this.table)) if (!this.known.has(k)) this.errors.push(`unknown key ${this.name(k)}`);
  }
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
