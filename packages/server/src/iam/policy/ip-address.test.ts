import { test } from "node:test";
import assert from "node:assert/strict";
import { cidrContains, parseCidr, parseIp } from "./ip-address.js";

const contains: [cidr: string, ip: string, expected: boolean][] = [
  ["203.0.113.0/24", "203.0.113.77", true],
  ["203.0.113.0/24", "203.0.114.1", false],
  ["10.0.0.0/8", "10.255.255.255", true],
  ["0.0.0.0/0", "198.51.100.1", true],
  ["192.0.2.5", "192.0.2.5", true],
  ["192.0.2.5/32", "192.0.2.6", false],
  ["203.0.113.0/24", "::ffff:203.0.113.9", true],
  ["2001:db8::/32", "2001:db8:1234::1", true],
  ["2001:db8::/32", "2001:db9::1", false],
  ["2001:db8:0:0:0:0:0:1/128", "2001:db8::1", true],
  ["::/0", "fe80::1", true],
  ["2001:db8::/32", "203.0.113.1", false],
  ["203.0.113.0/24", "2001:db8::1", false],
  ["::ffff:10.0.0.0/104", "10.1.2.3", true],
  ["2001:db8::/33", "2001:db8:8000::1", false],
];

for (const [cidr, ip, expected] of contains) {
  test(`CIDR ${cidr} ${expected ? "contains" : "does not contain"} ${ip}`, () => {
    const c = parseCidr(cidr);
    const a = parseIp(ip);
    assert.ok(c && a);
    assert.equal(cidrContains(c, a), expected);
  });
}

for (const bad of ["256.0.0.1", "1.2.3", "10.0.0.0/33", "2001:db8::/129", "1::2::3", "gggg::1", "10.0.0.0/x", ""]) {
  test(`${JSON.stringify(bad)} is not a CIDR`, () => assert.equal(parseCidr(bad), undefined));
}
