/**
 * What each kind of sealed data is bound to. The same parts are used to seal, to open and to
 * re-wrap, so they live in one place.
 */
export const bindings = {
  secretValue: { purpose: "secret-value", bind: (accountId: string, secretUid: string, versionId: string) => [accountId, secretUid, versionId] },
  accessKey: { purpose: "access-key-secret", bind: (accountId: string, accessKeyId: string) => [accountId, accessKeyId] },
} as const;
