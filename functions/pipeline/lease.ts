/**
 * The build lease (issue 5, deliverable 4): at most one build publishes into a store at a time,
 * whoever starts it (CLI, `serve`, the build Lambda), so two builds never interleave their
 * writes. build() takes it around publishing only (rendering needs no lease). docs/s3.md
 * "Build lease" explains the design and its limits.
 *
 * Object stores (S3): every contender writes its own claim `.syndicate/lease/<token>.json` (a
 * key no one else writes, so no conditional PUT is needed; s3rver ignores them anyway), then
 * lists the claims. It holds the lease when it sees no live claim but its own; otherwise it
 * deletes its claim and tries again after a jittered pause. With strongly consistent writes and
 * listings (S3 since December 2020, s3rver's file system), two contenders cannot both see only
 * themselves: whichever listed first had written first, so the later one's listing shows it.
 * A single lock object with write-then-read-back cannot promise that: a contender that read
 * "free" just before the other's write may overwrite it after the other's read-back.
 *
 * Directories: `.syndicate/lock.json`, created exclusively (link(2) of a fully written
 * temporary file: fails with EEXIST like O_EXCL, and never shows an empty lock).
 *
 * A lease is stale when its expiry has passed (the holder renews it every ttl/4), or at once
 * when its holder ran on this machine (same host name and boot id) and its process is gone
 * (a crashed or killed build) or is this process but no longer using it. A stale lease is
 * taken over; a live one is waited for, up to `waitMs`, then the build fails with a LeaseError.
 */
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { PRIVATE_JSON, type ObjectStore } from "../adapters/store.ts";
import { DirectoryStore } from "../adapters/dir-store.ts";
import { PublishError } from "../core/errors.ts";

export const LEASE_PREFIX = ".syndicate/lease/";
export const LOCK_FILE = ".syndicate/lock.json";

export interface LeaseOptions {
  /** How long a lease lasts without renewal. Default 30 s; renewed every ttl/4. */
  ttlMs?: number;
  /** How long to wait for another build's lease before failing. Default 5 minutes. */
  waitMs?: number;
  /** Pause between looks at a held lease (jittered). Default 500 ms. */
  pollMs?: number;
  /** Pause between writing a claim and listing the claims. Default 100 ms. */
  settleMs?: number;
  /** A taken-over lease must be expired by this much (clock skew between machines). Default 5 s. */
  skewMs?: number;
  /** Who holds it, for the messages of those who wait. */
  owner?: string;
  log?: (line: string) => void;
}

export interface LeaseRecord {
  version: 1;
  token: string;
  owner: string;
  host: string;
  boot_id: string;
  pid: number;
  acquired_at: string;
  expires_at: string;
}

export interface Lease {
  readonly token: string;
  /** Throws a LeaseError once the lease may have lapsed (not renewed within its ttl). */
  assertHeld(): void;
  release(): Promise<void>;
}

/** Another build holds the lease past our wait, or ours lapsed: nothing more was written. */
export class LeaseError extends PublishError {}

const HOST = hostname();
const BOOT_ID = (() => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return ""; // no way to tell this machine's processes apart: expiry only
  }
})();
/** Tokens this process holds right now. */
const active = new Set<string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (ms: number) => ms / 2 + Math.random() * ms;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseRecord(bytes: Buffer | undefined): LeaseRecord | undefined {
  try {
    const r = JSON.parse(String(bytes)) as LeaseRecord;
    return typeof r.token === "string" && typeof r.expires_at === "string" && typeof r.pid === "number" ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Why a lease no longer counts, or undefined while it does. */
export function staleness(r: LeaseRecord, now: number, skewMs: number): string | undefined {
  if (BOOT_ID && r.host === HOST && r.boot_id === BOOT_ID) {
    if (r.pid === process.pid ? !active.has(r.token) : !alive(r.pid)) return `its process ${r.pid} on this machine is gone`;
  }
  if (Date.parse(r.expires_at) + skewMs < now) return `it expired at ${r.expires_at}`;
  return undefined;
}

const describe = (r: LeaseRecord) => (r.pid === 0 ? r.owner : `${r.owner} (pid ${r.pid} on ${r.host}, since ${r.acquired_at}, until ${r.expires_at})`);

interface Settings extends Required<Omit<LeaseOptions, "log">> {
  log: (line: string) => void;
}

function settings(o: LeaseOptions): Settings {
  return {
    ttlMs: o.ttlMs ?? 30_000,
    waitMs: o.waitMs ?? 5 * 60_000,
    pollMs: o.pollMs ?? 500,
    settleMs: o.settleMs ?? 100,
    skewMs: o.skewMs ?? 5_000,
    owner: o.owner ?? `syndicate ${process.argv[2] ?? "build"}`,
    log: o.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}

/** A lease record for this process, valid for ttl from now. */
function record(token: string, s: Settings, acquiredAt: string): LeaseRecord {
  return { version: 1, token, owner: s.owner, host: HOST, boot_id: BOOT_ID, pid: process.pid, acquired_at: acquiredAt, expires_at: new Date(Date.now() + s.ttlMs).toISOString() };
}

/** Runs `fn` holding the store's build lease, released afterwards whatever happens. */
export async function withLease<T>(store: ObjectStore, fn: (lease: Lease) => Promise<T>, options: LeaseOptions = {}): Promise<T> {
  const lease = await acquireLease(store, options);
  try {
    return await fn(lease);
  } finally {
    await lease.release();
  }
}

export async function acquireLease(store: ObjectStore, options: LeaseOptions = {}): Promise<Lease> {
  const s = settings(options);
  const token = randomBytes(12).toString("hex");
  active.add(token);
  try {
    const renew = store instanceof DirectoryStore ? await lockDirectory(store.root, token, s) : await claimObject(uncounted(store), token, s);
    // Holding the lock, no other build writes here: what temporary files remain, a killed build left.
    if (store instanceof DirectoryStore) {
      const swept = await store.sweep();
      if (swept) s.log(`build lease: removed ${swept} temporary files an interrupted build left in ${store.root}`);
    }
    return holding(token, s, renew);
  } catch (err) {
    active.delete(token);
    throw err instanceof PublishError ? err : new LeaseError(`could not take the build lease on ${store.description}: ${(err as Error).message}`, { cause: err });
  }
}

/** The lease's own requests are not the build's: an S3Store lends a sibling with its own counts. */
function uncounted(store: ObjectStore): ObjectStore {
  return (store as { sibling?: () => ObjectStore }).sibling?.() ?? store;
}

interface Renewal {
  renew(): Promise<void>;
  release(): Promise<void>;
}

/** Keeps a taken lease renewed until released. */
function holding(token: string, s: Settings, r: Renewal): Lease {
  let validUntil = Date.now() + s.ttlMs;
  let released = false;
  const timer = setInterval(() => {
    const started = Date.now();
    r.renew().then(
      () => (validUntil = started + s.ttlMs),
      (err: Error) => s.log(`build lease: renewal failed (${err.message}); retrying`),
    );
  }, s.ttlMs / 4);
  timer.unref();
  return {
    token,
    assertHeld: () => {
      if (Date.now() >= validUntil) throw new LeaseError(`the build lease was not renewed within ${s.ttlMs} ms; another build may have taken it over, so this one stops before writing more`);
    },
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      active.delete(token);
      // Best effort: a claim left behind is stale at once for this machine, at expiry for others.
      await r.release().catch((err: Error) => s.log(`build lease: release failed (${err.message}); it lapses on its own`));
    },
  };
}

async function claimObject(store: ObjectStore, token: string, s: Settings): Promise<Renewal> {
  const mine = `${LEASE_PREFIX}${token}.json`;
  const acquiredAt = new Date().toISOString();
  const write = () => store.put(mine, Buffer.from(JSON.stringify(record(token, s, acquiredAt))), PRIVATE_JSON);
  const deadline = Date.now() + s.waitMs;
  /** Claims seen unreadable, since when: a claim read mid-write is not stale, one unreadable for a ttl is. */
  const unreadable = new Map<string, number>();
  /** The live claims other than ours; stale ones are deleted on the way. */
  const others = async (): Promise<LeaseRecord[]> => {
    const live: LeaseRecord[] = [];
    const stale: string[] = [];
    for (const key of await store.list(LEASE_PREFIX)) {
      if (key === mine) continue;
      const got = await store.get(key).catch(() => ({ body: Buffer.alloc(0) })); // unreadable, not absent
      if (!got) continue;
      const r = parseRecord(got.body);
      if (!r) {
        const first = unreadable.get(key) ?? Date.now();
        unreadable.set(key, first);
        const waitMs = s.ttlMs + s.skewMs;
        if (Date.now() - first > waitMs) {
          s.log(`build lease: deleting the claim ${key}, unreadable for ${Math.round(waitMs / 1000)} s`);
          stale.push(key);
        } else {
          // Maybe read mid-write; if it stays unreadable, it is taken as stale (a record of no process).
          const owner = `an unreadable claim, ${store.description}${key} (taken as stale once unreadable for ${Math.round(waitMs / 1000)} s)`;
          live.push({ version: 1, token: key, owner, host: "?", boot_id: "", pid: 0, acquired_at: "?", expires_at: "?" });
        }
        continue;
      }
      const why = staleness(r, Date.now(), s.skewMs);
      if (why) {
        s.log(`build lease: taking over from ${describe(r)}: ${why}`);
        stale.push(key);
      } else live.push(r);
    }
    if (stale.length) await store.delete(stale);
    return live;
  };
  for (let round = 0; ; round++) {
    let holders = await others();
    if (!holders.length) {
      await write();
      await sleep(s.settleMs);
      holders = await others();
      if (!holders.length) break;
      await store.delete([mine]);
    }
    if (Date.now() > deadline) throw new LeaseError(`${store.description} is being published by ${describe(holders[0]!)}; gave up after waiting ${s.waitMs} ms`);
    if (round === 0) s.log(`build lease: waiting for ${describe(holders[0]!)}`);
    await sleep(jitter(s.pollMs));
  }
  return { renew: write, release: () => store.delete([mine]) };
}

/** Tries at writing a staged lock file whose folder keeps vanishing (each release removes it once). */
const STAGE_ATTEMPTS = 5;

async function lockDirectory(root: string, token: string, s: Settings): Promise<Renewal> {
  const lock = join(root, ...LOCK_FILE.split("/"));
  const made = await mkdir(dirname(lock), { recursive: true });
  const acquiredAt = new Date().toISOString();
  const staged = async () => {
    const tmp = `${lock}.${token}.${randomBytes(4).toString("hex")}`;
    // The folder is made again each time, and again when it is gone between making it and
    // writing into it: a holder releasing removes the folders it created once they are empty
    // (release, below), and may do so at that very moment.
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(lock), { recursive: true });
      try {
        await writeFile(tmp, JSON.stringify(record(token, s, acquiredAt)));
        return tmp;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt === STAGE_ATTEMPTS) throw err;
      }
    }
  };
  const read = async (path: string) => parseRecord(await readFile(path).catch(() => undefined));
  const deadline = Date.now() + s.waitMs;
  for (let round = 0; ; round++) {
    const tmp = await staged();
    try {
      await link(tmp, lock); // exclusive: EEXIST when held
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const holder = await read(lock);
    const why = holder && staleness(holder, Date.now(), s.skewMs);
    if (holder && why) {
      // Move it aside, then make sure what was moved is the stale lease and not a fresh one.
      const aside = `${lock}.stale-${token}`;
      if (await rename(lock, aside).then(() => true, () => false)) {
        const moved = await read(aside);
        if (moved?.token === holder.token) s.log(`build lease: taking over from ${describe(holder)}: ${why}`);
        else await link(aside, lock).catch(() => undefined);
        await rm(aside, { force: true });
      }
      continue;
    }
    if (Date.now() > deadline) throw new LeaseError(`directory ${root} is being published by ${holder ? describe(holder) : "another build"}; gave up after waiting ${s.waitMs} ms`);
    if (round === 0 && holder) s.log(`build lease: waiting for ${describe(holder)}`);
    await sleep(jitter(s.pollMs));
  }
  const ours = async () => (await read(lock))?.token === token;
  return {
    renew: async () => {
      if (!(await ours())) throw new Error(`${lock} is no longer ours`);
      const tmp = await staged();
      await rename(tmp, lock);
    },
    release: async () => {
      if (await ours()) await rm(lock, { force: true });
      // Leave no trace: the .syndicate folder, and the output folder if the lock created it and nothing else was written.
      await rmdir(dirname(lock)).catch(() => undefined);
      if (made && made !== dirname(lock)) await rmdir(root).catch(() => undefined);
    },
  };
}
