/**
 * Assertions over a recorded stack run, shared by stack.test.ts and the planted-error tests so
 * that the planted errors are caught by the very checks the suite runs.
 */
import { expect } from "vitest";
import type { Recorded, StackRun } from "./harness.ts";

export const byType = (run: StackRun, type: string): Recorded[] => run.resources.filter((r) => r.type === type);

export function one(run: StackRun, type: string, name: string): Recorded {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0]!;
}

/** The API's routes, as API Gateway route keys. */
export function routeKeys(run: StackRun): string[] {
  return byType(run, "aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey as string).sort();
}

export const EXPECTED_ROUTES = ["$default", "GET /builds/{id}", "GET /health", "GET /latest", "GET /openapi.json", "POST /webhooks/rebuild"];

export function expectRoutes(run: StackRun): void {
  expect(routeKeys(run)).toEqual(EXPECTED_ROUTES);
}

/** Each Lambda's handler resolves to a file that exports it (checked by the Runtime.Build stub). */
export function expectHandlers(run: StackRun): void {
  expect(run.builds.map((b) => [b.functionID, b.file, b.exportName]).sort()).toEqual([
    ["ApiHandler", "functions/handlers/api.ts", "handler"],
    ["Build", "functions/handlers/build.ts", "handler"],
  ]);
}

export interface Statement {
  actions: string[];
  resources: string[];
  effect?: string;
}

/** The inline policy statements of a role, as SST passed them to getPolicyDocument. */
export function roleStatements(run: StackRun, role: string): Statement[] {
  const inline = one(run, "aws:iam/role:Role", role).inputs.inlinePolicies as { policy: string }[];
  return inline.flatMap((p) => (JSON.parse(p.policy) as { statements: Statement[] }).statements);
}

/** Every (action, resource) pair a role allows, sorted, with resource ARNs shortened to names. */
export function grants(run: StackRun, role: string): string[] {
  return roleStatements(run, role)
    .filter((s) => (s.effect ?? "Allow") === "Allow")
    .flatMap((s) => s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r.replace(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:/, "")}`)))
    .sort();
}

/** A Pulumi secret arrives in mocks wrapped as `{ <sig>: <secret sig>, value }`. */
export function plain(value: unknown): unknown {
  return value && typeof value === "object" && "value" in value ? (value as { value: unknown }).value : value;
}
