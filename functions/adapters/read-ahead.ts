/**
 * Reading a folder's files on a second thread while the main thread parses them (issue 6,
 * deliverable 3: both cores, where it pays).
 *
 * A full build reads each file with four system calls (open, fstat, read, close): ~14 µs a file
 * on the machines measured, ~0.7 s of a build of 50,000 articles. A reader thread makes them
 * ahead of the main thread, leaving each file's bytes in a shared ring buffer and its stat in a
 * shared slot; the main thread copies the bytes out instead of reading them.
 *
 * Nothing waits for the reader: files are claimed one by one through a shared counter, and the
 * main thread reads a file itself when it comes to one the reader has not claimed (the reader is
 * still starting, ~40 ms, or is behind). So what a build reads never depends on the reader, only
 * how fast. A file the reader could not read as the plain case (a link, not a regular file, past
 * its size limit, any error) is handed back, and the main thread reads it with its own checks
 * and messages.
 *
 * Memory is bounded: the ring holds RING_BYTES, and the reader is never more than SLOTS files
 * ahead of the main thread; it waits for the main thread to take files before it reads more.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * Files in a read below which no reader is started: where it pays, measured on 2 cores. At
 * 10,000 articles its start-up (~60 ms of the other core, ~4,000 page faults, the worker's memory
 * given back and taken again) costs about what it saves: −3% to +2% over interleaved rounds and
 * bench runs. At 50,000 the build was 8–12% faster (4,752 against 5,388 ms in `npm run bench`,
 * 12% paired by round; 4.56 against 4.97 s over 8 interleaved pairs), ~8 MiB more at the peak.
 */
export const READ_AHEAD_MIN = 20_000;
/** The ring's bytes: twice the largest file read (LIMITS.articleFileBytes, 1 MiB). */
export const RING_BYTES = 2 * 1024 * 1024;
/** How many files the reader may be ahead of the main thread (slots of their stat and place in the ring). */
export const SLOTS = 4096;

/**
 * How long the main thread waits for one file the reader claimed before it reads that file and
 * every later one itself: a reader that died (its thread out of memory, say) must not hang a
 * build; a slow file system only costs time.
 */
export const STALL_MS = 10_000;

/** A file's stat, as the change marker needs it. */
export interface StatNumbers {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** What the reader gives for one file: its bytes (a view valid until the next `take`) and stat. */
export interface Ahead {
  bytes: Uint8Array;
  stat: StatNumbers;
}

// Shared counters (ctl): the next file to claim; the file the main thread is at (every file
// before it is taken, its bytes copied out); a stop flag; while the reader waits for room, the
// file whose taking wakes it (NONE otherwise).
const NEXT = 0, TAKEN = 1, STOP = 2, WAKE_AT = 3;
const NONE = 0x7fffffff;
// Per slot (file i uses slot i % SLOTS) in meta: ring offset, bytes, ino, size, mtimeMs, ctimeMs.
// Its state is i + 1 once the reader read file i, -(i + 1) when it hands it back.
const META = 6;

/**
 * The reader: plain JavaScript run as a worker's eval code, with no module of this project to
 * load (it is up in ~40 ms on the other core, and needs no file beside a bundle).
 */
const READER = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { names, site, articles, limits, ctl, state, meta, ring } = workerData;
const list = names.split("\\0");
const n = list.length;
const bytes = new Uint8Array(ring);
const RING = ring.byteLength;
// Files in the ring, oldest first: [index, start].
const held = [];
let head = 0;
const stopped = () => Atomics.load(ctl, ${STOP}) === 1;
// Waits until the main thread is at file \`at\` (or further): room for many files at once, not
// woken for each file taken; false once stopped.
function wait(at) {
  Atomics.store(ctl, ${WAKE_AT}, at);
  const taken = Atomics.load(ctl, ${TAKEN});
  if (taken < at && !stopped()) Atomics.wait(ctl, ${TAKEN}, taken, 50);
  Atomics.store(ctl, ${WAKE_AT}, ${NONE});
  return !stopped();
}
// Where \`need\` bytes can go in the ring, once the files there before them are taken; -1 once stopped.
function place(need) {
  for (;;) {
    const taken = Atomics.load(ctl, ${TAKEN});
    while (held.length && held[0][0] < taken) held.shift();
    if (!held.length) return 0;
    const tail = held[0][1];
    if (head >= tail) {
      if (RING - head >= need) return head;
      if (tail > need) return 0;
    } else if (tail - head > need) return head;
    // Room once half the files in the ring are taken.
    if (!wait(held[held.length >> 1][0] + 1)) return -1;
  }
}
function give(i, read) {
  const slot = i % ${SLOTS};
  Atomics.store(state, slot, read ? i + 1 : -(i + 1));
  Atomics.notify(state, slot);
}
for (;;) {
  if (stopped()) break;
  const i = Atomics.add(ctl, ${NEXT}, 1);
  if (i >= n) break;
  // Its slot is free once the main thread is past the file that used it before.
  while (i - Atomics.load(ctl, ${TAKEN}) >= ${SLOTS}) if (!wait(i - ${SLOTS / 2})) break;
  if (stopped()) break;
  const name = list[i];
  if (name === "") { give(i, false); continue; }
  const isSite = i === 0 && site !== "";
  let read = false;
  try {
    // Without waiting: a file replaced by a FIFO since it was listed would block an open until a
    // writer came (a thread stuck in a system call can be neither stopped nor let go at exit);
    // open so, its fstat says it is no regular file, and it is handed back.
    const fd = fs.openSync(isSite ? site : articles + name, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const s = fs.fstatSync(fd);
      if (s.isFile() && s.size <= limits[isSite ? 0 : 1] && s.size <= RING / 2) {
        const at = place(s.size);
        if (at >= 0) {
          let got = 0;
          for (let k; got < s.size && (k = fs.readSync(fd, bytes, at + got, s.size - got, null)) > 0; ) got += k;
          head = at + got;
          held.push([i, at]);
          meta.set([at, got, s.ino, s.size, s.mtimeMs, s.ctimeMs], (i % ${SLOTS}) * ${META});
          read = true;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    read = false;
  }
  give(i, read);
}
`;

/** SYNDICATE_READ_AHEAD=0 turns the reader off (for comparing); it needs a second core. */
function enabled(): boolean {
  return process.env.SYNDICATE_READ_AHEAD !== "0" && availableParallelism() > 1;
}

/** The files of one read: site.yaml's path (or "" when it is not read) and the articles'. */
export interface AheadFiles {
  /** site.yaml's full path when it is the first file of the read, else "". */
  site: string;
  /** The articles folder's path, ending with the separator: each article's path is it and its name. */
  articles: string;
  /** Each file's name in the articles folder (site.yaml's place: any), or null for one the main thread reads itself. */
  names: (string | null)[];
  /** The most bytes read of site.yaml and of an article. */
  limits: [number, number];
}

export class ReadAhead {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16)).fill(NONE, WAKE_AT);
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  private readonly meta = new Float64Array(new SharedArrayBuffer(8 * META * SLOTS));
  private readonly ring = new SharedArrayBuffer(RING_BYTES);
  private readonly worker: Worker;
  private readonly count: number;
  private stopped = false;

  /** A reader of these files, or undefined when one would not pay (too few files, one core). */
  static start(files: AheadFiles, min = READ_AHEAD_MIN, stallMs = STALL_MS): ReadAhead | undefined {
    if (files.names.length < min || !enabled()) return undefined;
    try {
      return new ReadAhead(files, stallMs);
    } catch {
      return undefined;
    }
  }

  private constructor(
    files: AheadFiles,
    private readonly stallMs: number,
  ) {
    this.count = files.names.length;
    // One string, not an array of them: a tenth of the memory to copy into the worker.
    const names = files.names.map((name) => name ?? "").join("\0");
    const workerData = { names, site: files.site, articles: files.articles, limits: files.limits, ctl: this.ctl, state: this.state, meta: this.meta, ring: this.ring };
    // A small young generation: the reader allocates little, and every page it touches is a page fault.
    this.worker = new Worker(READER, { eval: true, workerData, stdout: true, stderr: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    // A reader that fails costs time, never output: its files are then read here.
    this.worker.on("error", () => {});
    this.worker.unref();
  }

  /**
   * File i's bytes and stat (the bytes valid until the next call), or undefined: the caller
   * reads it itself (the reader had not claimed it, or handed it back). Called for each file in
   * order; every file before i is then released.
   */
  take(i: number): Ahead | undefined {
    if (this.stopped || i >= this.count) return undefined;
    Atomics.store(this.ctl, TAKEN, i);
    // The reader waits for room (in the ring, or slots) until this file: it has it now.
    if (i >= Atomics.load(this.ctl, WAKE_AT)) Atomics.notify(this.ctl, TAKEN);
    const slot = i % SLOTS;
    let s = Atomics.load(this.state, slot);
    if (s !== i + 1 && s !== -(i + 1)) {
      // Unclaimed: this thread's own (the reader is behind, or not up yet).
      if (Atomics.compareExchange(this.ctl, NEXT, i, i + 1) === i) return undefined;
      // The reader has it under way.
      const since = performance.now();
      while ((s = Atomics.load(this.state, slot)) !== i + 1 && s !== -(i + 1)) {
        Atomics.wait(this.state, slot, s, 50);
        if (performance.now() - since > this.stallMs) {
          this.stop();
          return undefined;
        }
      }
    }
    if (s !== i + 1) return undefined;
    const m = this.meta, k = slot * META;
    return { bytes: new Uint8Array(this.ring, m[k]!, m[k + 1]!), stat: { ino: m[k + 2]!, size: m[k + 3]!, mtimeMs: m[k + 4]!, ctimeMs: m[k + 5]! } };
  }

  /** Files claimed so far, by the reader or the caller (a reader that is up has claimed some before the first `take`). */
  claimed(): number {
    return Math.min(Atomics.load(this.ctl, NEXT), this.count);
  }

  /** Stops the reader (every file taken, or the read given up): safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.store(this.ctl, TAKEN, this.count);
    Atomics.notify(this.ctl, TAKEN);
    void this.worker.terminate().catch(() => {});
  }
}
