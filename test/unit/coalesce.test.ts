import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Coalescer, type BuildRun } from "../../functions/pipeline/coalesce.ts";

/** Fake builds that finish when the test says so, recording what each read when it started. */
function harness() {
  let content = 0;
  let running = 0;
  let maxRunning = 0;
  let ids = 0;
  const finishers: ((fail?: boolean) => void)[] = [];
  const reads = new Map<string, number>();
  const c = new Coalescer<number>({
    newId: () => `b${++ids}`,
    run: (run) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      reads.set(run.id, content); // the content as it is when the build starts
      return new Promise<number>((resolve, reject) =>
        finishers.push((fail) => {
          running--;
          if (fail) reject(new Error("build failed"));
          else resolve(reads.get(run.id)!);
        }),
      );
    },
  });
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    c,
    reads,
    change: () => ++content,
    get maxRunning() {
      return maxRunning;
    },
    started: () => finishers.length,
    /** Finish the running build and let the next one start. */
    finish: async (fail = false) => {
      await tick();
      const f = finishers.shift();
      if (!f) throw new Error("nothing is running");
      f(fail);
      await tick();
    },
    tick,
    req: () => c.request({ trigger: "test", received_at: "" }),
  };
}

describe("Coalescer", () => {
  it("starts a build at once when idle", async () => {
    const h = harness();
    const t = h.req();
    await h.tick();
    expect(t.id).toBe("b1");
    expect(h.c.running?.id).toBe("b1");
    await h.finish();
    expect((await t.done).state).toBe("succeeded");
  });

  it("puts every request that arrives during a build into one waiting build", async () => {
    const h = harness();
    h.req();
    await h.tick();
    const during = Array.from({ length: 10 }, () => h.req());
    expect(new Set(during.map((t) => t.id))).toEqual(new Set(["b2"]));
    expect(h.c.waiting?.requests).toHaveLength(10);
    await h.finish();
    expect(h.c.running?.id).toBe("b2");
    await h.finish();
    expect(h.started()).toBe(0);
    expect(h.c.last?.id).toBe("b2");
  });

  it("gives a waiting build the content as it is when it starts, not when it was requested", async () => {
    const h = harness();
    h.req();
    await h.tick();
    const waiting = h.req();
    h.change();
    h.change();
    await h.finish();
    await h.finish();
    expect((await waiting.done).result).toBe(2);
    expect(h.reads.get("b1")).toBe(0);
  });

  it("never gives a request the id of the build already running", async () => {
    const h = harness();
    const first = h.req();
    await h.tick();
    expect(h.req().id).not.toBe(first.id);
  });

  it("starts the waiting build after a failed one, and reports the failure", async () => {
    const h = harness();
    const a = h.req();
    await h.tick();
    const b = h.req();
    await h.finish(true);
    const run = await a.done;
    expect(run.state).toBe("failed");
    expect((run.error as Error).message).toBe("build failed");
    expect(h.c.running?.id).toBe(b.id);
    await h.finish();
    expect((await b.done).state).toBe("succeeded");
  });

  it("keeps its invariants over any interleaving of requests and build completions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom("request", "change", "finish"), { maxLength: 60 }), async (ops) => {
        const h = harness();
        const tickets: { id: string; contentAtRequest: number; done: Promise<BuildRun<number>> }[] = [];
        let content = 0;
        for (const op of ops) {
          if (op === "request") tickets.push({ ...h.req(), contentAtRequest: content });
          else if (op === "change") content = h.change();
          else if (h.started() > 0) await h.finish();
          await h.tick();
          expect(h.maxRunning).toBeLessThanOrEqual(1);
          expect(h.started()).toBeLessThanOrEqual(1);
        }
        while (h.started() > 0) await h.finish();
        await h.c.idle();
        for (const t of tickets) {
          // The build named in the answer read content at least as new as the request saw.
          expect((await t.done).result).toBeGreaterThanOrEqual(t.contentAtRequest);
        }
        expect(new Set(tickets.map((t) => t.id)).size).toBeLessThanOrEqual(ops.filter((o) => o === "finish").length + 2);
      }),
      { numRuns: 200 },
    );
  });
});
