/**
 * Linked resources (SST `link`) with a fallback to plain environment variables for local runs.
 * `Resource` is a lazy proxy whose property access throws for a missing link, but
 * `"Name" in Resource` never throws (../../../shared/notes/sst-offline.md), so that is the test.
 * Only handlers read this; the pipeline and the core receive plain values.
 */
/// <reference path="../../sst-env.d.ts" />
import { Resource } from "sst";

/** `Resource[name][property]` when linked and non-empty, else `env[envVar]` (default: process.env), else undefined. */
export function linkedOptional(name: string, property: string, envVar: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name in Resource) {
    const value = (Resource as unknown as Record<string, Record<string, unknown> | undefined>)[name]?.[property];
    if (typeof value === "string" && value !== "") return value;
  }
  return env[envVar] || undefined;
}

/** The same for a value that must be there: an error naming both the link and the variable when it is not. */
export function linked(name: string, property: string, envVar: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = linkedOptional(name, property, envVar, env);
  if (value === undefined) throw new Error(`${name}.${property} is not linked to this function and ${envVar} is not set`);
  return value;
}
