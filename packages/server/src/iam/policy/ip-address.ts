/** An IPv4 (one 32-bit word) or IPv6 (four words) address. */
export interface IpAddress {
  v6: boolean;
  words: number[];
}

export interface Cidr extends IpAddress {
  prefix: number;
}

function parseV4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseV6(s: string): number[] | undefined {
  let groups: number[] = [];
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const items = h.split(":");
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes(".")) {
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(it)) out.push(parseInt(it, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else groups = head;
  if (groups.length !== 8) return undefined;
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((groups[i]! << 16) | groups[i + 1]!) >>> 0);
  return words;
}

/** Parses an address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, as Node reports) is IPv4. */
export function parseIp(s: string): IpAddress | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v6: false, words: [v4] };
  const w = parseV6(s);
  if (!w) return undefined;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { v6: false, words: [w[3]!] };
  return { v6: true, words: w };
}

/** Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const written6 = s.includes(":");
  if (slash < 0) return { ...ip, prefix: ip.v6 ? 128 : 32 };
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > (written6 ? 128 : 32)) return undefined;
  // "::ffff:10.0.0.0/104" is an IPv4 /8.
  const prefix = !ip.v6 && written6 ? Number(p) - 96 : Number(p);
  if (prefix < 0) return undefined;
  return { ...ip, prefix };
}

export function cidrContains(c: Cidr, ip: IpAddress): boolean {
  if (c.v6 !== ip.v6) return false;
  let bits = c.prefix;
  for (let i = 0; i < c.words.length && bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((c.words[i]! & mask) >>> 0) !== ((ip.words[i]! & mask) >>> 0)) return false;
  }
  return true;
}
