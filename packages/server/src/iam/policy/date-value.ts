/** A request or policy value before interpretation by an operator. */
export type Scalar = string | number | boolean;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const digits = (s: string, from: number, n: number): number => {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
};

/** The common shape of aws:CurrentTime, "2026-11-23T01:00:00Z" (or with .sss), without Date.parse's cost. */
function parseUtcTimestamp(s: string): number | undefined {
  if ((s.length !== 20 && s.length !== 24) || s.charCodeAt(s.length - 1) !== 90 /* Z */ || s[10] !== "T") return undefined;
  if (s[4] !== "-" || s[7] !== "-" || s[13] !== ":" || s[16] !== ":" || (s.length === 24 && s[19] !== ".")) return undefined;
  const mo = digits(s, 5, 2), d = digits(s, 8, 2), h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  // Date.UTC rolls over out-of-range fields; leave those to Date.parse, which rejects them.
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 59)) return undefined;
  const t = Date.UTC(digits(s, 0, 4), mo - 1, d, h, mi, sec, s.length === 24 ? digits(s, 20, 3) : 0);
  return Number.isNaN(t) ? undefined : t;
}

function parseDateText(r: string): number | undefined {
  const fast = parseUtcTimestamp(r);
  if (fast !== undefined) return fast;
  const s = r.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!ISO_8601.test(s)) return undefined;
  // A time without a zone is UTC (Date.parse would take local time); Date.parse wants "+hh:mm".
  const zoned = s.length <= 10 ? s : /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/.test(s.slice(11)) ? s.replace(/([+-]\d{2})(\d{2})$/, "$1:$2").replace(/([+-]\d{2})$/, "$1:00") : `${s}Z`;
  const t = Date.parse(zoned);
  return Number.isNaN(t) ? undefined : t;
}

// One request evaluates the same aws:CurrentTime against several statements: remember the last.
let lastDateText = "";
let lastDate: number | undefined;

/** Epoch seconds or ISO 8601, as milliseconds. */
export function parseDate(r: Scalar): number | undefined {
  if (typeof r === "number") return Number.isFinite(r) ? r * 1000 : undefined;
  if (typeof r !== "string") return undefined;
  if (r !== lastDateText) {
    lastDate = parseDateText(r);
    lastDateText = r;
  }
  return lastDate;
}

