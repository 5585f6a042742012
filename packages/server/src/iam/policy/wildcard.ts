/** A predicate over a string, built once from a pattern. */
export type Matcher = (s: string) => boolean;

/** A run of pattern text: `wild` text gives `*` and `?` their wildcard meaning, other text is literal. */
export interface PatternPiece {
  text: string;
  wild: boolean;
}

export interface GlobOptions {
  /**
   * Matching ignores case. The pattern is folded here; the caller passes input already
   * lower-cased (it folds once per request instead of once per pattern).
   */
  folded?: boolean;
  /**
   * ARN matching as IAM does it: `*` and `?` stay within one colon-separated segment, except a
   * `*` that ends a segment, which may expand beyond the colons.
   */
  arn?: boolean;
}

const ANY: Matcher = () => true;

export function hasWildcard(s: string): boolean {
  return s.includes("*") || s.includes("?");
}

/** Compiles a wildcard pattern (`*` any run, `?` one character). */
export function compileGlob(pattern: string, o: GlobOptions = {}): Matcher {
  return compilePieces([{ text: pattern, wild: true }], o);
}

/**
 * Compiles pattern pieces to the cheapest matcher that fits: `*` alone, equality, and a
 * RegExp, built once, for everything else.
 */
export function compilePieces(pieces: readonly PatternPiece[], o: GlobOptions = {}): Matcher {
  const fold = (t: string) => (o.folded ? t.toLowerCase() : t);
  const wildPieces = pieces.filter((p) => p.wild && hasWildcard(p.text));
  const whole = fold(pieces.map((p) => p.text).join(""));
  if (wildPieces.length === 0) return (s) => s === whole;
  if (pieces.length === 1 && whole === "*") return ANY;
  // An anchored RegExp, even for a plain prefix: V8's irregexp beats String#startsWith here.
  // A trailing `.*` needs no matching: the pattern is then a prefix test.
  let source = toRegExpSource(pieces.map((p) => ({ text: fold(p.text), wild: p.wild })), o.arn === true);
  const open = source.endsWith(".*") && !source.endsWith("\\.*");
  if (open) source = source.slice(0, -2);
  const re = new RegExp(`^${source}${open ? "" : "$"}`, "s");
  // Most patterns start with literal text ("arn:aws:secretsmanager:...:secret:/team/"): two
  // character compares at its end reject most other names before the RegExp runs.
  const first = pieces[0]!;
  const cut = first.wild ? firstWildcard(first.text) : -1;
  const lead = fold(cut < 0 ? first.text : first.text.slice(0, cut));
  // The longest literal run between wildcards must occur in any match: one substring search
  // rejects most other names (".../secret:/prod/billing/" vs ".../secret:/prod/ledger/...")
  // without running the RegExp, whose `.*` backtracks over the whole ARN.
  const need = longestLiteral(pieces.map((p) => ({ text: fold(p.text), wild: p.wild })));
  const test = need.length > lead.length ? (s: string) => s.includes(need) && re.test(s) : (s: string) => re.test(s);
  if (lead.length < 2) return test;
  const i = lead.length - 1;
  const a = lead.charCodeAt(i);
  const b = lead.charCodeAt(i - 1);
  return (s) => s.charCodeAt(i) === a && s.charCodeAt(i - 1) === b && test(s);
}

/** The longest run of pattern text without a wildcard (literal pieces count as text). */
function longestLiteral(pieces: readonly PatternPiece[]): string {
  let best = "";
  let cur = "";
  for (const p of pieces) {
    for (const c of p.text) {
      if (p.wild && (c === "*" || c === "?")) {
        if (cur.length > best.length) best = cur;
        cur = "";
      } else cur += c;
    }
  }
  return cur.length > best.length ? cur : best;
}

function firstWildcard(t: string): number {
  const star = t.indexOf("*");
  const q = t.indexOf("?");
  return star < 0 ? q : q < 0 ? star : Math.min(star, q);
}

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

function toRegExpSource(pieces: readonly PatternPiece[], arn: boolean): string {
  const all = pieces.map((p) => p.text).join("");
  let out = "";
  let at = 0;
  for (const p of pieces) {
    for (let i = 0; i < p.text.length; i++, at++) {
      const c = p.text[i]!;
      if (p.wild && c === "*") {
        const next = all[at + 1];
        out += !arn || next === undefined || next === ":" ? ".*" : "[^:]*";
      } else if (p.wild && c === "?") {
        out += arn ? "[^:]" : ".";
      } else {
        out += escape(c);
      }
    }
  }
  return out;
}
