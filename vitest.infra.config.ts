import { defineConfig } from "vitest/config";

// test/infra: sst.config.ts under Pulumi mocks (npm run check:infra, after `sst install`).
// Each file runs in its own process: Pulumi's runtime state is global.
export default defineConfig({
  test: {
    include: ["test/infra/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
