/** Reading a JSON object the project wrote earlier (manifest, status): anything unreadable is absent. */
import type * as z from "zod";

export function parseJsonBytes<T extends z.ZodType>(schema: T, bytes: Uint8Array | undefined): z.infer<T> | undefined {
  if (!bytes) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
