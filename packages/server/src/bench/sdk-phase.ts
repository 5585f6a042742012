import { KeyshiftClient, type SecretValue } from "@keyshift/sdk";

export interface SdkPhaseOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** An existing secret the phase reads. */
  secretId: string;
  /** Time spent in each of the two loops (they alternate in slices). */
  seconds: number;
}

export interface SdkFigures {
  /** `await client.getSecretValue(secretId)` answered from the SDK's cache. */
  cachedCallsPerSec: number;
  /** `await` of an async function doing `Map.get` and returning the object: the floor for a promise-returning cache. */
  baselineCallsPerSec: number;
}

const BATCH = 1000;
/** The two loops alternate in this many slices each, so that a noisy machine slows both alike. */
const SLICES = 10;

/** Awaits `call` in batches for about `seconds`; returns the calls made and the time taken (s). */
async function loop(seconds: number, call: () => Promise<unknown>): Promise<{ calls: number; elapsed: number }> {
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < BATCH; i++) await call();
    calls += BATCH;
    now = process.hrtime.bigint();
  }
  return { calls, elapsed: Number(now - start) / 1e9 };
}

/**
 * In-process throughput of cached reads through @keyshift/sdk against a running server, with
 * the baseline measured in the same process and run. The client keeps its default options
 * (TTL 300 s, change feed on; consumer reporting off so the server sees no extra writes); the
 * phase fails if the cached loop went upstream more than once (the change feed's first
 * connection may drop the primed value once).
 */
export async function sdkPhase(opts: SdkPhaseOptions): Promise<SdkFigures> {
  let upstream = 0;
  const countingFetch: typeof fetch = (input, init) => {
    if (new Headers(init?.headers).get("x-amz-target") === "secretsmanager.GetSecretValue") upstream++;
    return fetch(input, init);
  };
  const client = new KeyshiftClient({ endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, consumer: false, fetch: countingFetch });
  try {
    await client.getSecretValue(opts.secretId);
    for (let i = 0; i < 100 && !client.changeFeedConnected; i++) await new Promise((r) => setTimeout(r, 20));
    await client.getSecretValue(opts.secretId);
    const map = new Map<string, SecretValue>([[opts.secretId, await client.getSecretValue(opts.secretId)]]);
    const bare = async (id: string): Promise<SecretValue | undefined> => map.get(id);
    const before = upstream;
    const cached = { calls: 0, elapsed: 0 };
    const baseline = { calls: 0, elapsed: 0 };
    for (let i = 0; i < SLICES; i++) {
      const c = await loop(opts.seconds / SLICES, () => client.getSecretValue(opts.secretId));
      const b = await loop(opts.seconds / SLICES, () => bare(opts.secretId));
      cached.calls += c.calls;
      cached.elapsed += c.elapsed;
      baseline.calls += b.calls;
      baseline.elapsed += b.elapsed;
    }
    if (upstream - before > 1) throw new Error(`sdk phase: ${upstream - before} upstream reads during the cached loop`);
    const cachedCallsPerSec = cached.calls / cached.elapsed;
    const baselineCallsPerSec = baseline.calls / baseline.elapsed;
    return { cachedCallsPerSec, baselineCallsPerSec };
  } finally {
    await client.close();
  }
}
