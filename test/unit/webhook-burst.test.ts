import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/handlers/app.ts";
import { Coalescer } from "../../functions/pipeline/coalesce.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";
import { githubSignature, randomSecret } from "../support/api.ts";

describe("POST /webhooks/rebuild, a burst", () => {
  it("answers 50 signed deliveries at once with 202, and at most two builds run", async () => {
    const secret = randomSecret();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const builds = new Coalescer<void>({
      run: async () => {
        runs++;
        await gate; // the first build is still running while the burst arrives
      },
    });
    const app = createApp({ store: new DirectoryStore(await tempDir()), webhookSecret: secret, triggerBuild: builds.trigger });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const body = JSON.stringify({ delivery: i });
        return app.request("/webhooks/rebuild", {
          method: "POST",
          headers: { "x-hub-signature-256": githubSignature(secret, body), "x-github-delivery": `d-${i}` },
          body,
        });
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { build_id: string }).build_id)));
    expect(ids.size).toBeLessThanOrEqual(2);
    release();
    await builds.idle();
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(builds.last && ids.has(builds.last.id)).toBe(true);
  });
});
