import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand } from "./harness.js";

/** A self-signed certificate (its own CA) and its key, as PEM. */
export interface SelfSignedCert {
  certPem: string;
  keyPem: string;
}

export function hasOpenssl(): boolean {
  return hasCommand("openssl", ["version"]);
}

/**
 * Generates a throw-away self-signed certificate with `openssl` (P-256 key, valid two days). `names`
 * become the subjectAltNames: IP addresses as IP entries, everything else as DNS entries; the first
 * one is also the CN.
 */
export function selfSignedCert(names: string[] = ["localhost", "127.0.0.1"]): SelfSignedCert {
  if (names.length === 0) throw new Error("selfSignedCert needs at least one name");
  const dir = mkdtempSync(join(tmpdir(), "keyshift-cert-"));
  try {
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    const r = spawnSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2",
        "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${san}`,
      ],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`openssl req failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
    return { certPem: readFileSync(join(dir, "cert.pem"), "utf8"), keyPem: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
