import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePrometheusText, sampleValue } from "./prom-text-parser.js";

const good = `# HELP req_total Requests.
# TYPE req_total counter
req_total{op="Get",outcome="success"} 3
req_total{op="Put",outcome="denied"} 1
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{op="Get",le="0.1"} 1
lat_seconds_bucket{op="Get",le="1"} 2
lat_seconds_bucket{op="Get",le="+Inf"} 3
lat_seconds_sum{op="Get"} 2.5
lat_seconds_count{op="Get"} 3
`;

test("parses families, labels and values", () => {
  const f = parsePrometheusText(good);
  assert.equal(f.get("req_total")?.type, "counter");
  assert.equal(f.get("req_total")?.help, "Requests.");
  assert.equal(sampleValue(f, "req_total"), 4);
  assert.equal(sampleValue(f, "req_total", { outcome: "denied" }), 1);
  assert.equal(sampleValue(f, "lat_seconds_count", { op: "Get" }), 3);
});

test("rejects what a scraper would reject or misread", () => {
  const bad: [string, RegExp][] = [
    ["req_total 1\n", /without HELP\/TYPE/],
    [good.replace('le="1"} 2', 'le="1"} 0'), /below/],
    [good.replace('lat_seconds_bucket{op="Get",le="+Inf"} 3\n', ""), /\+Inf/],
    [good.replace('le="+Inf"} 3', 'le="+Inf"} 4'), /differs from _count/],
    [good + 'req_total{op="Get",outcome="success"} 3\n', /not contiguous|outside|twice/],
    [good.replace("# TYPE req_total counter\n", "# TYPE req_total counter\n# TYPE req_total counter\n"), /twice/],
    [good.replace('{op="Put"', '{1op="Put"'), /bad label name/],
    [good.replace("} 3\n", "} three\n"), /bad value/],
    [good.trimEnd(), /newline/],
    [good.replace('lat_seconds_sum{op="Get"} 2.5\n', ""), /_sum or _count/],
  ];
  for (const [text, why] of bad) assert.throws(() => parsePrometheusText(text), why, text);
});
