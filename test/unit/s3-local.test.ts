/**
 * adapters/s3-local.ts: the local-endpoint defaults (s3rver's key pair on a loopback endpoint,
 * the default region), defined once and used by both S3 clients: the SDK's (createS3Client) and
 * the API Lambda's signed fetch (SignedS3Client).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultRegion, localCredentials } from "../../functions/adapters/s3-local.ts";
import { createS3Client } from "../../functions/adapters/s3-store.ts";
import { SignedS3Client } from "../../functions/adapters/s3-fetch.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

/** No credentials and no region in the environment. */
function bareEnv() {
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"]) vi.stubEnv(name, undefined);
}

describe("localCredentials / defaultRegion", () => {
  it("gives s3rver's key pair for a loopback endpoint only, and only without credentials in the environment", () => {
    for (const endpoint of ["http://127.0.0.1:4569", "http://127.1.2.3", "http://localhost:9000/", "http://LOCALHOST:9000", "https://[::1]:443/x"]) {
      expect(localCredentials(endpoint, false), endpoint).toEqual({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
      expect(localCredentials(endpoint, true), endpoint).toBeUndefined();
    }
    for (const endpoint of [undefined, "", "https://s3.eu-west-1.amazonaws.com", "http://localhost.example.com", "http://10.0.0.1:4569", "ftp://127.0.0.1"]) {
      expect(localCredentials(endpoint, false), String(endpoint)).toBeUndefined();
    }
  });

  it("takes the region from AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1", () => {
    expect(defaultRegion({})).toBe("us-east-1");
    expect(defaultRegion({ AWS_DEFAULT_REGION: "eu-west-3" })).toBe("eu-west-3");
    expect(defaultRegion({ AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "eu-west-3" })).toBe("ap-south-1");
  });
});

describe("both S3 clients use them", () => {
  it("the SDK client signs for a loopback endpoint with s3rver's key pair, in the default region", async () => {
    bareEnv();
    vi.stubEnv("AWS_DEFAULT_REGION", "eu-north-1");
    const client = createS3Client({ endpoint: "http://localhost:4569" });
    try {
      expect(await client.config.credentials()).toMatchObject({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
      expect(await client.config.region()).toBe("eu-north-1");
    } finally {
      client.destroy();
    }
  });

  it("the signed-fetch reader signs for a loopback endpoint with s3rver's key pair, in the default region", async () => {
    bareEnv();
    vi.stubEnv("AWS_DEFAULT_REGION", "eu-north-1");
    let headers: IncomingHttpHeaders | undefined;
    const server = createServer((req, res) => {
      headers = req.headers;
      res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      expect(await new SignedS3Client({ bucket: "feeds", endpoint, retries: 0 }).get("latest.json")).toBeUndefined();
      expect(String(headers?.authorization)).toMatch(/Credential=S3RVER\/\d{8}\/eu-north-1\/s3\/aws4_request/);
      expect(new SignedS3Client({ bucket: "feeds" }).url("latest.json")).toBe("https://feeds.s3.eu-north-1.amazonaws.com/latest.json");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
