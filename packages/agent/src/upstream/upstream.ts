/** What the agent keeps of a GetSecretValue answer (the fields the AWS agent returns). */
export interface SecretValue {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  /** base64, as on the wire. */
  SecretBinary?: string;
  VersionStages: string[];
  /** Epoch seconds with a fraction, as on the wire. */
  CreatedDate?: number;
}

export interface GetSecretValueRequest {
  SecretId: string;
  VersionId?: string;
  VersionStage?: string;
}

/** The part of DescribeSecret the cache needs to revalidate an entry. */
export interface SecretDescription {
  ARN: string;
  Name: string;
  /** Labeled versions only. */
  VersionIdsToStages: Record<string, string[]>;
}

/** A change of one secret, as the server's change feed publishes it (docs/change-feed.md). */
export interface SecretChange {
  Seq: number;
  Type: "SecretCreated" | "SecretChanged" | "SecretDeleted";
  Region: string;
  ARN: string;
  Name: string;
  VersionIdsToStages?: Record<string, string[]>;
}

/**
 * What the feed tells a subscriber: a change, or `reset` — some changes may have been missed
 * (the server forgot our position, or we had none), so everything cached must be revalidated.
 */
export type FeedEvent = { kind: "change"; change: SecretChange } | { kind: "reset" };

/** `up` once the stream is open (after its hello), `down` with the reason whenever it is not. */
export type FeedState = { up: true } | { up: false; reason: string };

/** One version a consumer holds, as reported to `PUT /v1/consumers/{id}`. */
export interface Holding {
  ARN: string;
  VersionId: string;
  VersionStages: string[];
}

export interface Subscription {
  close(): void;
}

/**
 * The agent's view of Secrets Manager: two read operations of the AWS API, plus Keyshift's change
 * feed and consumer reporting. Every method rejects with an `UpstreamError`; none retries (the
 * cache decides what a failure means). Implementations never log values.
 */
export interface Upstream {
  getSecretValue(req: GetSecretValueRequest): Promise<SecretValue>;
  describeSecret(secretId: string): Promise<SecretDescription>;
  /**
   * Follows the change feed until closed, reconnecting on its own; `onState` hears every
   * transition. Against a server without a feed it stays `down` and keeps retrying slowly.
   */
  subscribe(onEvent: (e: FeedEvent) => void, onState: (s: FeedState) => void): Subscription;
  /** Replaces the server's record of what this agent holds. */
  report(holdings: Holding[]): Promise<void>;
}

/**
 * A failed upstream call. `service`: the upstream answered with an AWS error (its status and
 * code are passed through); `timeout` and `connection`: it did not answer; `internal`: an answer
 * the agent cannot read.
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: "service" | "timeout" | "connection" | "internal",
    message: string,
    readonly status = 0,
    readonly code = "",
  ) {
    super(message);
    this.name = "UpstreamError";
  }

  /**
   * Whether the upstream may simply be unavailable (so that serving the last good value makes
   * sense): no answer, a 5xx, or throttling. An error about the request or the secret is not.
   */
  get transient(): boolean {
    if (this.kind === "timeout" || this.kind === "connection") return true;
    if (this.kind !== "service") return false;
    return this.status >= 500 || this.status === 429 || this.code === "ThrottlingException" || this.code === "TooManyRequestsException";
  }
}
