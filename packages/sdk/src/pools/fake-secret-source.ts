import type { SecretSource, SecretVersion } from "../rotation-aware.js";

/**
 * Tests only (not exported from the package): a secret with labeled versions, like the server
 * keeps them; records every read and calls watchers when AWSCURRENT moves.
 */
export class FakeSource implements SecretSource {
  readonly reads: string[] = [];
  readonly values = new Map<string, string>();
  readonly stages = new Map<string, string>(); // stage -> versionId
  private watchers: ((v: SecretVersion) => void)[] = [];
  constructor(private readonly name = "db") {}

  put(versionId: string, value: unknown, ...stages: string[]): void {
    this.values.set(versionId, typeof value === "string" ? value : JSON.stringify(value));
    for (const s of stages) this.label(s, versionId);
  }
  label(stage: string, versionId: string | undefined): void {
    const before = this.stages.get(stage);
    if (versionId === undefined) this.stages.delete(stage);
    else this.stages.set(stage, versionId);
    if (stage === "AWSCURRENT" && versionId && before !== versionId) for (const w of this.watchers) w(this.version(versionId));
  }
  /** finishSecret: AWSPENDING becomes AWSCURRENT, AWSCURRENT becomes AWSPREVIOUS. */
  finish(): void {
    const pending = this.stages.get("AWSPENDING")!;
    this.label("AWSPREVIOUS", this.stages.get("AWSCURRENT"));
    this.label("AWSPENDING", undefined);
    this.label("AWSCURRENT", pending);
  }
  version(id: string): SecretVersion {
    return { ARN: `arn:${this.name}`, Name: this.name, VersionId: id, SecretString: this.values.get(id)!, VersionStages: [...this.stages].filter(([, v]) => v === id).map(([s]) => s) };
  }
  async getSecretValue(_id: string, o: { versionStage?: string; refresh?: boolean } = {}): Promise<SecretVersion> {
    const stage = o.versionStage ?? "AWSCURRENT";
    this.reads.push(`${stage}${o.refresh ? "+refresh" : ""}`);
    const id = this.stages.get(stage);
    if (!id) throw Object.assign(new Error("not found"), { code: "ResourceNotFoundException" });
    return this.version(id);
  }
  watchable(): this & Required<Pick<SecretSource, "watch">> {
    return Object.assign(this, {
      watch: (_id: string, cb: (v: SecretVersion) => void) => {
        this.watchers.push(cb);
        return { close: () => (this.watchers = this.watchers.filter((w) => w !== cb)) };
      },
    });
  }
}
