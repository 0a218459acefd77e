/**
 * Linked resources (SST `link`) with a fallback to plain environment variables for local runs.
 * `Resource` is a lazy proxy whose property access throws for a missing link, but
 * `"Name" in Resource` never throws (../../../shared/notes/sst-offline.md), so that is the test.
 * Only handlers read this; the pipeline and the core receive plain values.
 */
/// <reference path="../../sst-env.d.ts" />
import { Resource } from "sst";

/** `Resource[name][property]` when linked and non-empty, else `process.env[envVar]`, else an error naming both. */
export function linked(name: string, property: string, envVar: string): string {
  if (name in Resource) {
    const value = (Resource as unknown as Record<string, Record<string, unknown> | undefined>)[name]?.[property];
    if (typeof value === "string" && value !== "") return value;
  }
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  throw new Error(`${name}.${property} is not linked to this function and ${envVar} is not set`);
}

/** The same, for values that may be absent (e.g. an empty prefix). */
export function linkedOptional(name: string, property: string, envVar: string): string | undefined {
  try {
    return linked(name, property, envVar);
  } catch {
    return undefined;
  }
}
