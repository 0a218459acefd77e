/** A planted error: the build handler file no longer exports `handler`; the stack must not run. */
import { expect, it } from "vitest";
import { runStack } from "./harness.ts";

it("fails when a handler file does not export its handler", async () => {
  const rewrite = (path: string, source: string) =>
    path.endsWith("functions/handlers/build.ts") ? source.replace("export const handler =", "export const handlr =") : source;
  await expect(runStack({ rewrite })).rejects.toThrow('functions/handlers/build.ts does not export "handler"');
});
