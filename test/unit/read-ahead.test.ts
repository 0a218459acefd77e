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

/** File i's bytes, different at every offset and for every file: a file's bytes taken from the wrong place in the ring show. */
function content(i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (Math.imul(i + 1, 2654435761) ^ 0x9e3779b9) >>> 0;
  for (let k = 0; k < size; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[k] = x >>> 24;
  }
  return b;
}

/** An articles folder of files of these sizes, each with its own bytes; their names in order. */
async function sizedFolder(sizes: number[]): Promise<{ root: string; names: string[] }> {
  const root = join(await tempDir(), "content");
  await mkdir(join(root, "articles"), { recursive: true });
  const names = sizes.map((_, i) => `f${String(i).padStart(5, "0")}.md`);
  for (let i = 0; i < sizes.length; i += 500) {
    await Promise.all(names.slice(i, i + 500).map((name, k) => writeFile(join(root, "articles", name), content(i + k, sizes[i + k]!))));
  }
  return { root, names };
}


/**
 * Takes every file from a reader, as DirectoryContent does, checking each one given: its bytes
 * and stat are the file's, and its bytes are still the file's after `pause(i)` ms (they must stay
 * valid until the next take, however far the reader runs ahead meanwhile). `up`: first wait for
 * the reader to claim a file (else the main thread races it from the start). Returns how many the
 * reader gave.
 */
async function takeAll(root: string, names: string[], sizes: number[], { up = true, pause = () => 0, limits = [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }: { up?: boolean; pause?: (i: number) => number; limits?: [number, number] } = {}): Promise<number> {
  const ahead = ReadAhead.start({ site: "", articles: `${join(root, "articles")}/`, names, limits }, 1)!;
  expect(ahead).toBeDefined();
  if (up) for (const t0 = Date.now(); ahead.claimed() === 0 && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 5));
  let given = 0;
  try {
    for (let i = 0; i < names.length; i++) {
      const got = ahead.take(i);
      if (!got) continue;
      given++;
      const want = content(i, sizes[i]!);
      expect(got.stat.size, `file ${i}'s size`).toBe(sizes[i]);
      expect(Buffer.from(got.bytes).equals(want), `file ${i}'s bytes`).toBe(true);
      const ms = pause(i);
      if (ms > 0) {
        sleep(ms);
        expect(Buffer.from(got.bytes).equals(want), `file ${i}'s bytes after ${ms} ms`).toBe(true);
      }
    }
  } finally {
    ahead.stop();
  }
  return given;
}

const HALF = RING_BYTES / 2;

describe("read ahead: the ring's edges, under a main thread slow or fast", () => {
  it("keeps the file the main thread is at intact while the next one, too big for the ring's end, waits instead of wrapping onto it", async () => {
    // File 1 sits at HALF..HALF*1.5 while the main thread holds it; file 2 (HALF bytes) fits
    // neither after it nor before it (exactly HALF bytes free there, and the ring never fills to
    // its tail); file 3 would be written where file 1 is if it did.
    const sizes = [HALF, HALF / 2, HALF, 10, HALF, 0, 1, HALF - 1, HALF, 0];
    const { root, names } = await sizedFolder(sizes);
    const given = await takeAll(root, names, sizes, { pause: (i) => (i === 1 ? 300 : 20) });
    expect(given).toBeGreaterThan(0);
  });

  it("gives each file its own bytes through every mix of sizes at the ring's edges (half the ring, one byte either side, none)", async () => {
    const edge = [0, 1, 100, HALF - 100, HALF - 1, HALF, HALF / 2, HALF / 2 + 1, Math.floor(RING_BYTES / 3)];
    // Every ordered pair of edge sizes, then again with empty files between.
    const sizes: number[] = [];
    for (const a of edge) for (const b of edge) sizes.push(a, b);
    for (const a of edge) for (const b of edge) sizes.push(a, 0, 0, b);
    const { root, names } = await sizedFolder(sizes);
    const given = await takeAll(root, names, sizes, { pause: (i) => (i % 7 === 0 ? 5 : 1) });
    expect(given).toBeGreaterThan(0);
  }, 30_000);

  it("gives back, for the main thread, a file past half the ring even when its limit allows it", async () => {
    const sizes = [HALF + 1, 10, RING_BYTES, RING_BYTES + 1, 20, HALF];
    const { root, names } = await sizedFolder(sizes);
    const ahead = ReadAhead.start({ site: "", articles: `${join(root, "articles")}/`, names, limits: [LIMITS.siteFileBytes, 4 * RING_BYTES] }, 1)!;
    for (const t0 = Date.now(); ahead.claimed() < sizes.length && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 5));
    try {
      const given = sizes.map((size, i) => {
        const got = ahead.take(i);
        if (got) expect(Buffer.from(got.bytes).equals(content(i, size))).toBe(true);
        return got !== undefined;
      });
      expect(given).toEqual([false, true, false, false, true, true]);
    } finally {
      ahead.stop();
    }
  });

  it("reads site.yaml, the first file, under its own limit, not an article's", async () => {
    const sizes = [0, LIMITS.siteFileBytes + 1, 5];
    const { root, names } = await sizedFolder(sizes);
    const site = join(root, "site.yaml");
    for (const [size, given] of [[LIMITS.siteFileBytes, true], [LIMITS.siteFileBytes + 1, false]] as const) {
      await writeFile(site, content(0, size));
      const ahead = ReadAhead.start({ site, articles: `${join(root, "articles")}/`, names: ["site.yaml", names[1]!, names[2]!], limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }, 1)!;
      // Every file claimed by the reader, site.yaml too (a read's main thread is usually first to it).
      for (const t0 = Date.now(); ahead.claimed() < 3 && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 5));
      try {
        const got = ahead.take(0);
        expect(got !== undefined, `site.yaml of ${size} bytes given`).toBe(given);
        if (got) expect(Buffer.from(got.bytes).equals(content(0, size))).toBe(true);
        // An article past site.yaml's limit, within its own.
        expect(Buffer.from(ahead.take(1)!.bytes).equals(content(1, sizes[1]!))).toBe(true);
      } finally {
        ahead.stop();
      }
    }
  });

  it("gives a file changed between its stat and its read as the main thread would: the bytes read, no more, and the stat taken", async () => {
    for (const later of [10, 3000]) {
      // Files 0 and 1 fill the ring: the reader opens file 2, takes its stat and waits for room.
      const sizes = [HALF, HALF, 1000];
      const { root, names } = await sizedFolder(sizes);
      const ahead = ReadAhead.start({ site: "", articles: `${join(root, "articles")}/`, names, limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }, 1)!;
      const ctl = (ahead as unknown as { ctl: Int32Array }).ctl;
      // Waiting for room (WAKE_AT set): file 2's stat is taken, its bytes not yet read.
      for (const t0 = Date.now(); !(ahead.claimed() === 3 && Atomics.load(ctl, 3) !== 0x7fffffff) && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 5));
      expect(Atomics.load(ctl, 3)).not.toBe(0x7fffffff);
      const now = content(99, later);
      await writeFile(join(root, "articles", names[2]!), now);
      try {
        expect(ahead.take(0)).toBeDefined();
        expect(ahead.take(1)).toBeDefined();
        const got = ahead.take(2)!;
        expect(got.stat.size).toBe(1000);
        expect(Buffer.from(got.bytes).equals(now.subarray(0, Math.min(later, 1000)))).toBe(true);
      } finally {
        ahead.stop();
      }
    }
  });

  it("holds more empty files than it has slots, with files of bytes between them, the main thread slow or fast", async () => {
    const n = SLOTS * 2 + 300;
    const sizes = Array.from({ length: n }, (_, i) => (i % 1500 === 700 ? HALF : i % 97 === 3 ? 5000 : 0));
    const { root, names } = await sizedFolder(sizes);
    // Slow: the reader runs SLOTS files ahead and waits for slots; at times for the ring.
    expect(await takeAll(root, names, sizes, { pause: (i) => (i % 1000 === 0 ? 30 : 0) })).toBeGreaterThan(0);
    // Fast: the main thread takes from the start, racing the reader for each file.
    await takeAll(root, names, sizes, { up: false });
  }, 30_000);
});

describe("read ahead: a folder read gives the same with the reader as without it", () => {
  it("at the size limits of an article and of site.yaml", async () => {
    const root = await folder(30);
    const articles = join(root, "articles");
    await writeFile(join(articles, "at-limit.md"), content(1, LIMITS.articleFileBytes));
    await writeFile(join(articles, "past-limit.md"), content(2, LIMITS.articleFileBytes + 1));
    await writeFile(join(articles, "at-limit-2.md"), content(3, LIMITS.articleFileBytes));
    await writeFile(join(root, "site.yaml"), content(4, LIMITS.siteFileBytes));
    const [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.files.map((f) => f.path)).toEqual(expect.arrayContaining(["site.yaml", "articles/at-limit.md", "articles/at-limit-2.md"]));
    await writeFile(join(root, "site.yaml"), content(4, LIMITS.siteFileBytes + 1));
    const [c, d] = await bothWays(root);
    expect(summary(c)).toEqual(summary(d));
    expect(c.issues.map((i) => i.file)).toEqual(expect.arrayContaining(["site.yaml", "articles/past-limit.md"]));
  });

  it("with site.yaml missing, a link inside the folder, a link outside it, or a folder", async () => {
    const root = await folder(30);
    const site = join(root, "site.yaml");
    const { rm, rename } = await import("node:fs/promises");
    await rm(site);
    let [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.files[0]!.path).toBe("articles/a00000.md");
    await writeFile(join(root, "settings.txt"), "title: Linked\n");
    await symlink(join(root, "settings.txt"), site);
    [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.files[0]!.path).toBe("site.yaml");
    await rm(site);
    const outside = join(await tempDir(), "site.yaml");
    await writeFile(outside, "title: Outside\n");
    await symlink(outside, site);
    [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.issues.map((i) => i.file)).toContain("site.yaml");
    await rm(site);
    await mkdir(site);
    [a, b] = await bothWays(root);
    expect(summary(a)).toEqual(summary(b));
    expect(a.issues.map((i) => i.file)).toContain("site.yaml");
    await rename(site, join(root, "was-site"));
  });

  it("read twice in a row, and after a read given up at its first file and at its last", async () => {
    const root = await folder(500);
    const dir = new DirectoryContent(root, LATER, 1);
    const first = summary(await dir.read());
    expect(summary(await dir.read())).toEqual(first);
    for (const at of [1, 501]) {
      let seen = 0;
      await expect(
        dir.read({
          onFile: () => {
            if (++seen === at) throw new Error("given up");
            return false;
          },
        }),
      ).rejects.toThrow("given up");
      expect(summary(await dir.read())).toEqual(first);
    }
    expect(first).toEqual(summary(await new DirectoryContent(root, LATER, Infinity).read()));
  });
});

describe("read ahead: a FIFO the reader meets", () => {
  it("is handed back without blocking the reader (a file replaced by a FIFO after the listing)", async () => {
    const root = await folder(60);
    const articles = join(root, "articles");
    execFileSync("mkfifo", [join(articles, "pipe.md")]);
    // Given to the reader as if it were a plain file, as one swapped for a FIFO after the listing would be.
    const names = ["pipe.md", ...Array.from({ length: 60 }, (_, i) => `a${String(i).padStart(5, "0")}.md`)];
    const ahead = ReadAhead.start({ site: "", articles: `${articles}/`, names, limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes] }, 1, 2_000)!;
    // Up, and past the FIFO: every file claimed (a reader stuck opening it would claim no more).
    for (const t0 = Date.now(); ahead.claimed() < names.length && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 20));
    let given = 0;
    try {
      expect(ahead.take(0)).toBeUndefined();
      for (let i = 1; i < names.length; i++) if (ahead.take(i)) given++;
    } finally {
      ahead.stop();
    }
    expect(given).toBe(60);
  });
});
