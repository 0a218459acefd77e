/**
 * The reader thread (functions/adapters/read-ahead.ts): a folder read with it gives what a read
 * without it gives, file for file, including every file it hands back; its ring wraps and waits
 * for the main thread; a read given up stops it.
 */
import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { DirectoryContent, type ContentRead } from "../../functions/adapters/content-dir.ts";
import { ReadAhead, RING_BYTES, SLOTS } from "../../functions/adapters/read-ahead.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { tempDir } from "../support/content-tree.ts";

/** This thread asleep for `ms` (the reader runs on meanwhile). */
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Long ago: every file's change marker is trusted (content-dir.ts RACY_MS). */
const LATER = () => Date.now() + 60_000;

/**
 * A read of `root` with the reader from the first file, and one without it. The read with it waits,
 * at its first file, for the reader to be up and to claim every file it can (all of a small folder),
 * so that the reader, not the main thread racing it, reads them: else a small folder is read by the
 * main thread alone before the reader is up (~40 ms), and the comparison shows nothing.
 */
async function bothWays(root: string, into?: (size: number) => Uint8Array | undefined): Promise<[ContentRead, ContentRead]> {
  const readers: ReadAhead[] = [];
  const start = ReadAhead.start;
  const starting = vi.spyOn(ReadAhead, "start").mockImplementation((...args) => {
    const reader = start.apply(ReadAhead, args);
    if (reader) readers.push(reader);
    return reader;
  });
  const taking = vi.spyOn(ReadAhead.prototype, "take");
  let withReader: ContentRead;
  try {
    let first = true;
    const onFile = () => {
      if (first && readers[0]) {
        const reader = readers[0];
        const count = (reader as unknown as { count: number }).count;
        // Every file, or as many as its ring and slots hold (then it waits for this thread).
        for (let t0 = Date.now(), last = -1, still = 0; reader.claimed() < count && Date.now() - t0 < 20_000 && still < 40; ) {
          sleep(5);
          // The first file is this thread's (taken before the reader was up): more means the reader's.
          still = reader.claimed() > 1 && reader.claimed() === last ? still + 1 : 0;
          last = reader.claimed();
        }
      }
      first = false;
      return false;
    };
    withReader = await new DirectoryContent(root, LATER, 1).read({ onFile, ...(into && { into: (_p, size) => into(size) }) });
    expect(readers).toHaveLength(1);
    expect(taking.mock.results.filter((r) => r.value !== undefined).length, "files the reader gave").toBeGreaterThan(0);
  } finally {
    starting.mockRestore();
    taking.mockRestore();
  }
  const without = await new DirectoryContent(root, LATER, Infinity).read(into && { into: (_p, size) => into(size) });
  return [withReader, without];
}

const summary = (r: ContentRead) => ({
  files: r.files.map((f) => ({ path: f.path, bytes: Buffer.from(f.bytes).toString("base64"), fingerprint: f.fingerprint })),
  issues: r.issues,
  unchanged: r.unchanged,
});

/** Varied sizes, some past half the ring (so that it wraps with a hole at its end). */
function sizeOf(i: number): number {
  if (i % 997 === 5) return 900_000;
  if (i % 101 === 7) return 0;
  return 200 + ((i * 7919) % 6000);
}

async function folder(n: number): Promise<string> {
  const root = join(await tempDir(), "content");
  await mkdir(join(root, "articles"), { recursive: true });
  await writeFile(join(root, "site.yaml"), "title: T\n");
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const size = sizeOf(i);
      const text = `---\ntitle: A${i}\n---\n${"x".repeat(size)}`.slice(0, size);
      return writeFile(join(root, "articles", `a${String(i).padStart(5, "0")}.md`), text);
    }),
  );
  return root;
}

describe("read ahead on another thread", () => {
  it("reads what the main thread reads, through a ring that wraps many times and slots used again", async () => {
    const n = SLOTS + 904;
    const root = await folder(n);
    const total = Array.from({ length: n }, (_, i) => sizeOf(i)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(8 * RING_BYTES);
    const [a, b] = await bothWays(root);
    expect(a.files).toHaveLength(n + 1);
    expect(summary(a)).toEqual(summary(b));
  }, 60_000);

  it("hands back what it does not read as the plain case, and the main thread tells it as before", async () => {
    const root = await folder(40);
    const articles = join(root, "articles");
    await writeFile(join(articles, "big.md"), "x".repeat(LIMITS.articleFileBytes + 1));
    await mkdir(join(articles, "folder.md"));
    await symlink(join(articles, "a00001.md"), join(articles, "link.md"));
    await symlink(join(articles, "loop.md"), join(articles, "loop.md"));
    await symlink(join(articles, "gone.md"), join(articles, "dangling.md"));
    execFileSync("mkfifo", [join(articles, "pipe.md")]);
    await writeFile(join(articles, "locked.md"), "---\ntitle: L\n---\n", { mode: 0o000 });
    const [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.issues.map((i) => i.file)).toEqual(expect.arrayContaining(["articles/big.md", "articles/folder.md", "articles/loop.md", "articles/dangling.md", "articles/pipe.md"]));
  });

  it("reads into the caller's room when it gives one", async () => {
    const root = await folder(300);
    const room = new Uint8Array(64 * 1024 * 1024);
    let used = 0;
    const into = (size: number) => {
      const view = room.subarray(used, used + size);
      used += size;
      return view;
    };
    const [a] = await bothWays(root, into);
    const articles = a.files.filter((f) => f.path !== "site.yaml");
    expect(articles.every((f) => f.bytes.buffer === room.buffer)).toBe(true);
  });

  it("is stopped when the read is given up, and the next read works", async () => {
    const root = await folder(2000);
    const dir = new DirectoryContent(root, LATER, 1);
    let seen = 0;
    await expect(
      dir.read({
        onFile: () => {
          if (++seen === 700) throw new Error("given up");
          return false;
        },
      }),
    ).rejects.toThrow("given up");
    const again = await dir.read();
    expect(again.files).toHaveLength(2001);
  });

  it("reads most files itself once it is up, while the main thread parses", async () => {
    const root = await folder(3000);
    const names = Array.from({ length: 3000 }, (_, i) => `a${String(i).padStart(5, "0")}.md`);
    const ahead = ReadAhead.start({ site: "", articles: `${join(root, "articles")}/`, names, limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }, 1)!;
    expect(ahead).toBeDefined();
    // Once it is up (it claims files before the first is taken), nearly every file is its.
    for (const t0 = Date.now(); ahead.claimed() === 0 && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 10));
    expect(ahead.claimed()).toBeGreaterThan(0);
    let given = 0;
    try {
      for (let i = 0; i < names.length; i++) {
        // A build parses each file (~70 µs at 10,000 articles): the reader, ~15 µs a file, keeps ahead.
        for (const until = performance.now() + 0.1; performance.now() < until; );
        const got = ahead.take(i);
        if (!got) continue;
        given++;
        expect(got.bytes.byteLength).toBe(sizeOf(i));
        expect(got.stat.size).toBe(sizeOf(i));
      }
    } finally {
      ahead.stop();
    }
    // The main thread reads a file itself only when it catches up with the reader (a loaded machine).
    expect(given).toBeGreaterThan(2700);
  });

  it("does not hang when the reader dies holding a file: the main thread reads on by itself", async () => {
    const root = await folder(3000);
    const names = Array.from({ length: 3000 }, (_, i) => `a${String(i).padStart(5, "0")}.md`);
    const ahead = ReadAhead.start({ site: "", articles: `${join(root, "articles")}/`, names, limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }, 1, 300)!;
    // Up, then stuck holding a file it claimed: the ring is full, as nothing is taken yet.
    for (let last = -1, t0 = Date.now(); (ahead.claimed() === 0 || ahead.claimed() !== last) && Date.now() - t0 < 20_000; ) {
      last = ahead.claimed();
      await new Promise((r) => setTimeout(r, 100));
    }
    // Killed between a claim and its result, as an out-of-memory worker would be.
    await (ahead as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const claimed = ahead.claimed();
    expect(claimed).toBeLessThan(3000);
    let given = 0;
    for (let i = 0; i < names.length; i++) if (ahead.take(i)) given++;
    // Its files up to the one it held were given; the rest fall to the caller, after one wait.
    expect(given).toBeGreaterThan(0);
    expect(given).toBeLessThan(claimed);
    expect(ahead.take(2999)).toBeUndefined();
  });
});
