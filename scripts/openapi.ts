/**
 * Writes functions/handlers/openapi.gen.json from the zod schemas (functions/handlers/openapi.ts),
 * so that the API Lambda serves `/openapi.json` without zod. `npm run bundle` runs it first;
 * `npx tsx scripts/openapi.ts` runs it alone. test/unit/api-health-openapi.test.ts fails when
 * the committed file differs from what the schemas give.
 */
import { writeGenerated } from "./generated.ts";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OPENAPI_GENERATED, openApiText } from "../functions/handlers/openapi.ts";

/** Rewrites the file when it differs; resolves to whether it did. */
export function writeOpenApi(): Promise<boolean> {
  return writeGenerated(OPENAPI_GENERATED, openApiText());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const changed = await writeOpenApi();
  console.log(`${fileURLToPath(OPENAPI_GENERATED)}: ${changed ? "written" : "up to date"}`);
}
