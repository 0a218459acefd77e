/**
 * Timing checked without a clock: timers are faked (setTimeout only, so injected `now`s and
 * Date stay as they are), and a promise is checked unsettled just before a deadline and settled
 * at it. A wait that is too long, or never ends, fails; a noisy machine cannot.
 */
import { vi } from "vitest";

export interface Watched<T> {
  readonly settled: boolean;
  readonly promise: Promise<T>;
}

/** Tracks whether `p` has settled (fulfilled or rejected), without turning a rejection into an unhandled one. */
export function watch<T>(p: Promise<T>): Watched<T> {
  const w = { settled: false, promise: p };
  p.then(
    () => (w.settled = true),
    () => (w.settled = true),
  );
  return w;
}

/** Runs `fn` with fake setTimeout/clearTimeout/setInterval, restoring the real ones after. */
export async function withFakeTimers<T>(fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

/** `w` is still pending after `ms - 1` ms of fake time, and settled once `ms` have passed. */
export async function settlesAt(w: Watched<unknown>, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms - 1);
  if (w.settled) throw new Error(`settled before ${ms} ms`);
  await vi.advanceTimersByTimeAsync(1);
  if (!w.settled) throw new Error(`not settled at ${ms} ms`);
}

/** Every delay asked of setTimeout while `fn` runs, in order. */
export async function timeoutsAsked<T>(fn: () => Promise<T>): Promise<{ result: T; asked: number[] }> {
  const spy = vi.spyOn(globalThis, "setTimeout");
  try {
    const result = await fn();
    return { result, asked: spy.mock.calls.map((call) => Number(call[1] ?? 0)) };
  } finally {
    spy.mockRestore();
  }
}

/**
 * The delays asked of setTimeout while `fn` runs, up to `upTo` ms each (a loop's pauses), added
 * up. Every pause lasts at least what it asked, so a loop bounded by a deadline asks in total at
 * most that deadline plus its last pause, however slow the machine is; a loop that waits longer
 * asks more.
 */
export async function pausesAsked<T>(fn: () => Promise<T>, upTo: number): Promise<{ result: T; total: number }> {
  const { result, asked } = await timeoutsAsked(fn);
  return { result, total: asked.filter((ms) => ms <= upTo).reduce((a, b) => a + b, 0) };
}
