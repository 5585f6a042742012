import type { CallRecord } from "../http/call-record.js";
import type { Envelope } from "../crypto/envelope.js";
import type { Authorizer } from "../iam/authorizer.js";
import type { Principal } from "../iam/principal.js";
import type { Store } from "../storage/store.js";
import type { AccessTracker } from "./access-tracker.js";
import type { RotationEngine } from "../rotation/engine.js";
import type { ChangeFeed } from "../changes/change-feed.js";

/** What an operation knows about the call it serves. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** The SigV4 signing region: secrets live in a region, as in AWS. */
  region: string;
  sourceIp: string;
  userAgent: string;
  secureTransport: boolean;
  /** The request's record for audit and metrics: operations note the secret they act on. */
  call?: CallRecord;
}

/** What the secret operations depend on; built once by the composition root (app.ts). */
export interface SecretsDeps {
  store: Store;
  envelope: Envelope;
  authz: Authorizer;
  /** ms since the epoch; injectable so that recovery windows and version purges can be tested. */
  clock: () => number;
  /** Records LastAccessedDate off the read path. */
  access: AccessTracker;
  /** Runs rotations (RotateSecret, the scheduler). */
  rotation: RotationEngine;
  /** Changes of secrets, published after their commits (the agent's and SDK's push invalidation). */
  feed: ChangeFeed;
}
