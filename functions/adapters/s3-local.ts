/**
 * Defaults for an S3 endpoint on this machine (the local s3rver, functions/local/s3.ts), the one
 * definition shared by the SDK client (s3-store.ts createS3Client) and the signed-fetch client
 * (s3-fetch.ts). It imports nothing: the API bundle holds s3-fetch.ts and must stay free of the
 * AWS SDK (scripts/bundle.ts checks).
 */

/** s3rver's built-in key pair: a local endpoint needs no real credentials. */
const LOCAL_KEY_PAIR = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
/** http(s) on 127.x.x.x, localhost or [::1], any port (host names are case-insensitive). */
const LOOPBACK = /^https?:\/\/(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::\d+)?(?:\/|$)/i;

/** The region to sign for when none is given: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
export function defaultRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/**
 * s3rver's key pair for an endpoint on a loopback address, unless the environment holds
 * credentials the client would use (`envHasCredentials`: which ones differs between the SDK and
 * aws4fetch); else undefined, and the client finds its own.
 */
export function localCredentials(endpoint: string | undefined, envHasCredentials: boolean): { accessKeyId: string; secretAccessKey: string } | undefined {
  return endpoint && !envHasCredentials && LOOPBACK.test(endpoint) ? { ...LOCAL_KEY_PAIR } : undefined;
}
