import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/infra needs the SST platform installed first: npm run check:infra runs it
    // (vitest.infra.config.ts).
    exclude: ["test/infra/**", "**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The bundled CLI made fresh once before the files run (test/support/global-setup.ts).
    globalSetup: ["test/support/global-setup.ts"],
  },
});
