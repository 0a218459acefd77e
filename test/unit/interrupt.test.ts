/** The build command's handling of SIGINT/SIGTERM (functions/commands/interrupt.ts), step by step. */
import { describe, expect, it } from "vitest";
import { interruptGuard, type InterruptDeps } from "../../functions/commands/interrupt.ts";

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function fakeProcess() {
  const listeners = new Map<string, Set<() => void>>();
  const said: string[] = [];
  const deps: InterruptDeps = {
    on: (s, l) => void (listeners.get(s) ?? listeners.set(s, new Set()).get(s)!).add(l),
    off: (s, l) => void listeners.get(s)?.delete(l),
    exit: (code) => {
      throw new Exited(code);
    },
    say: (line) => void said.push(line),
  };
  const send = (signal: "SIGINT" | "SIGTERM") => {
    for (const l of listeners.get(signal) ?? []) l();
  };
  const exitOf = (f: () => void) => {
    try {
      f();
    } catch (err) {
      if (err instanceof Exited) return err.code;
      throw err;
    }
    return undefined;
  };
  return { deps, said, send, exitOf, listening: () => [...listeners.values()].reduce((n, s) => n + s.size, 0) };
}

describe("interruptGuard", () => {
  it("stops at once before publishing, 130 for SIGINT and 143 for SIGTERM", () => {
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      const p = fakeProcess();
      const g = interruptGuard("directory out", {}, p.deps);
      g.phase("reading content");
      expect(p.exitOf(() => p.send(signal))).toBe(code);
      expect(p.said).toEqual([`Interrupted (${signal}): nothing was published; directory out was left as it was.`]);
    }
  });

  it("while publishing, waits for the publish to end, then stops before the cache is stored", () => {
    const p = fakeProcess();
    const cleared: string[] = [];
    const stopped: string[] = [];
    const g = interruptGuard("directory out", { beforeSay: () => void cleared.push("clear"), onStop: (m) => void stopped.push(m) }, p.deps);
    g.phase("rendering");
    g.phase("publishing");
    expect(p.exitOf(() => p.send("SIGTERM"))).toBeUndefined();
    expect(p.exitOf(() => g.phase("storing the cache"))).toBe(143);
    expect(p.said).toEqual([
      "Interrupted (SIGTERM) while publishing: finishing it, so that directory out holds the new build whole, then stopping (SIGTERM again to stop at once).",
      "Stopped after publishing into directory out, as asked (SIGTERM); the build cache was not stored.",
    ]);
    // The progress line is cleared before each message; the last one is handed to onStop (--json).
    expect(cleared).toEqual(["clear", "clear"]);
    expect(stopped).toEqual([p.said[1]]);
  });

  /** A guard on a fake process, its build publishing into `target`. */
  const publishing = (target: string) => {
    const p = fakeProcess();
    const g = interruptGuard(target, {}, p.deps);
    g.phase("publishing");
    return { p, g };
  };

  it("stops at once on a second signal while publishing", () => {
    const { p } = publishing("bucket feeds");
    p.send("SIGINT");
    expect(p.exitOf(() => p.send("SIGINT"))).toBe(130);
    expect(p.said[1]).toBe("Stopped while publishing (SIGINT again): bucket feeds may hold documents of both builds until the next build, which completes what was begun.");
  });

  it("stops when the build ends, failed while publishing, once its error is told", () => {
    const { p, g } = publishing("directory out");
    p.send("SIGINT");
    expect(p.exitOf(() => g.dispose())).toBe(130);
    expect(p.said[1]).toBe("Stopped, as asked (SIGINT).");
  });

  it("after publishing, stops at once saying the build is published", () => {
    const { p, g } = publishing("directory out");
    g.phase("storing the cache");
    expect(p.exitOf(() => p.send("SIGINT"))).toBe(130);
    expect(p.said).toEqual(["Interrupted (SIGINT): the build is published into directory out; the build cache was not stored."]);
  });

  it("lets go of the signals when the build is over, without stopping anything", () => {
    const p = fakeProcess();
    const g = interruptGuard("directory out", {}, p.deps);
    expect(p.listening()).toBe(2);
    g.phase("publishing");
    g.phase("storing the cache");
    expect(p.exitOf(() => g.dispose())).toBeUndefined();
    expect([p.listening(), p.said]).toEqual([0, []]);
  });
});
