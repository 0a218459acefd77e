/**
 * Checks of JSON the API reads from the store (status.json, the build requests' records), by
 * hand: the API Lambda's bundle holds no zod (routes.ts). Each reader's verdicts are compared
 * with its zod schema's in the tests.
 */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === "string";
export const isDate = (v: unknown): v is string => isString(v) && !Number.isNaN(Date.parse(v));
export const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
export const orNull = <T>(check: (v: unknown) => v is T) => (v: unknown): v is T | null => v === null || check(v);
/** A build's error as status.json and the records hold it: `{name, message, retryable}`. */
export const isBuildError = (v: unknown): v is { name: string; message: string; retryable: boolean } =>
  isObject(v) && isString(v.name) && isString(v.message) && typeof v.retryable === "boolean";

/** The bytes as a JSON object, or undefined (none, not JSON, not an object). */
export function parseJson(bytes: Uint8Array | undefined): Json | undefined {
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
