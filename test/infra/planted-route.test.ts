/** A planted error: stacks/api.ts without the webhook route; the route check must fail. */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT, runStack } from "./harness.ts";
import { expectRoutes, routeKeys } from "./expectations.ts";

let copy: string | undefined;
afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

it("fails the route check when a route is removed", async () => {
  // A copy of the config and stacks under .sst/ (ignored), so the handler paths stay relative to the repository.
  copy = await mkdtemp(join(ROOT, ".sst", "planted-"));
  await cp(join(ROOT, "sst.config.ts"), join(copy, "sst.config.ts"));
  await cp(join(ROOT, "stacks"), join(copy, "stacks"), { recursive: true });
  const api = join(copy, "stacks", "api.ts");
  const source = await readFile(api, "utf8");
  const planted = source.replace(', "POST /webhooks/rebuild"', "");
  expect(planted).not.toBe(source);
  await writeFile(api, planted);
  const run = await runStack({ config: join(copy, "sst.config.ts") });
  expect(routeKeys(run)).not.toContain("POST /webhooks/rebuild");
  let failure: (Error & { expected?: unknown; actual?: unknown }) | undefined;
  try {
    expectRoutes(run);
  } catch (e) {
    failure = e as typeof failure;
  }
  expect(failure?.name).toBe("AssertionError");
  expect(failure?.expected).toContain("POST /webhooks/rebuild");
  expect(failure?.actual).not.toContain("POST /webhooks/rebuild");
});
