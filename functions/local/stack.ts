/**
 * The local stack behind `syndicate serve` (issue 3, deliverable 3): s3rver in a child process,
 * the feeds and content buckets, a push of the content directory and a first build, the HTTP
 * API and the published documents on one port, and rebuilds on content change, all through the
 * same code the cloud runs (S3Store, S3Content, build, the Hono app). `stop()` ends all of it.
 */
import { watch as chokidar, type FSWatcher } from "chokidar";
import { readdir } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import type { AddressInfo } from "node:net";
import type { ServerType } from "@hono/node-server";
import { S3Content, S3Store, createS3Client, ensureBucket } from "../adapters/s3-store.ts";
import { pushContent } from "../commands/push.ts";
import { build, BuildStoppedError, type BuildReport } from "../pipeline/build.ts";
import { holdStoredCache } from "../pipeline/cached-load.ts";
import { Coalescer, type BuildRun } from "../pipeline/coalesce.ts";
import { pingHub, publishedLinks, readFeedLinks, type FeedLinks } from "../pipeline/websub.ts";
import { ContentError, type ContentIssue } from "../core/errors.ts";
import { hasErrors } from "../core/content.ts";
import { createApp } from "../handlers/app.ts";
import { LatestReader } from "../handlers/latest.ts";
import type { BuildState } from "../handlers/openapi.ts";
import { buildRecord, errorSummary, type BuildRecord } from "../core/build-record.ts";
import { startS3Server, type LocalS3Server } from "./s3.ts";
import { createLocalServer, latestFastPath } from "./latest-fast.ts";

export const FEEDS_BUCKET = "syndicate-feeds";
export const CONTENT_BUCKET = "syndicate-content";
/** File events closer together than this make one rebuild (editors write a file in several steps). */
export const WATCH_DEBOUNCE_MS = 250;
/** A file whose size has not changed for this long counts as written (chokidar's awaitWriteFinish). */
export const WATCH_STABLE_MS = 500;
/** However often the content changes, a rebuild starts at most this long after the first change. */
const WATCH_MAX_WAIT_MS = 2_000;
/** On stop, how long a running build may take to finish before the store is shut anyway. */
const STOP_BUILD_WAIT_MS = 10_000;
/** The longest delay setTimeout takes (~24.8 days); a later publication is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A scheduled build starts this long after the publication time, so the article is due by then. */
const SCHEDULE_MARGIN_MS = 1_000;
/** Finished builds whose records `GET /builds/{id}` answers from (the Lambda keeps records 7 days). */
export const KEPT_RECORDS = 1_000;

export interface StackOptions {
  contentDir: string;
  /** s3rver's files live in `<dataDir>/s3`, kept across restarts. */
  dataDir: string;
  port: number;
  host?: string;
  webhookSecret?: string;
  watch?: boolean;
  now?: () => number;
  /** Every finished build, with its timing (for the build log line). */
  onBuild?: (run: BuildRun<BuildReport>, durationMs: number) => void;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  s3: { endpoint: string; pid: number };
  builds: Coalescer<BuildReport>;
  /** A build's record by its id, as `GET /builds/{id}` answers: waiting, running, or one of the last KEPT_RECORDS finished. */
  record(id: string): BuildRecord | undefined;
  /** Resolves when the first build has finished (either way). */
  firstBuild: Promise<BuildRun<BuildReport>>;
  /** The last read-back of a cache a build stored whole (holdStoredCache): true once it is held. */
  cacheHeld(): Promise<boolean>;
  watching: boolean;
  stop(): Promise<void>;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

export function buildState(run: BuildRun<BuildReport> | undefined): BuildState | null {
  if (!run) return null;
  return {
    id: run.id,
    trigger: [...new Set(run.requests.map((r) => r.trigger))].join(","),
    state: run.state === "waiting" ? "running" : run.state,
    started_at: iso(run.started_at ?? run.queued_at)!,
    finished_at: iso(run.finished_at),
    build_id: run.result?.build_id ?? null,
    error: run.error === undefined ? null : errorSummary(run.error),
  };
}

/**
 * A build as `GET /builds/{id}` answers for the requests it covers (the 202 gave them its id):
 * queued, running, or its outcome, in the Lambda's record shape (core/build-record.ts).
 */
export function runRecord(run: BuildRun<BuildReport>): BuildRecord {
  const requested = Math.min(...run.requests.map((r) => Date.parse(r.received_at)).filter((t) => !Number.isNaN(t)), run.queued_at);
  const state = run.state === "waiting" ? "queued" : run.state;
  return buildRecord({ id: run.id, state, requested_at: iso(requested)!, started_at: iso(run.started_at), finished_at: iso(run.finished_at), report: run.result, error: run.error });
}

function listen(server: ServerType): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startLocalStack(o: StackOptions): Promise<LocalStack> {
  const now = o.now ?? Date.now;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const s3: LocalS3Server = await startS3Server({ dir: join(o.dataDir, "s3") });
  const client = createS3Client({ endpoint: s3.endpoint });
  const cleanup: (() => unknown)[] = [() => s3.stop(), () => client.destroy()];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    await ensureBucket(client, FEEDS_BUCKET);
    await ensureBucket(client, CONTENT_BUCKET);
    const feeds = new S3Store({ client, bucket: FEEDS_BUCKET });
    const contentStore = new S3Store({ client, bucket: CONTENT_BUCKET });
    const source = new S3Content({ client, bucket: CONTENT_BUCKET });
    // Hub and base URL as the published feed.json states them, for the Link headers.
    let links: FeedLinks | undefined = await readFeedLinks(feeds).catch(() => undefined);
    let pings: Promise<unknown> = Promise.resolve();
    let holding: Promise<boolean> = Promise.resolve(false);
    const stopping = new AbortController();
    let unpushable = false;
    // The next scheduled publication, built when it falls due (the cloud's schedule runs every
    // 5 minutes, stacks/pipeline.ts; here the stack knows the time and waits for it).
    let scheduled: { at: number; timer?: NodeJS.Timeout } | undefined;
    const schedule = (at: number | undefined) => {
      if (scheduled?.at === at) return;
      clearTimeout(scheduled?.timer);
      scheduled = undefined;
      if (at === undefined) return;
      const entry: { at: number; timer?: NodeJS.Timeout } = { at };
      const arm = () => {
        const left = at + SCHEDULE_MARGIN_MS - now();
        if (left > 0) {
          entry.timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS)).unref();
          return;
        }
        if (scheduled === entry) scheduled = undefined;
        builds.request({ trigger: "schedule", received_at: new Date(now()).toISOString() });
      };
      scheduled = entry;
      arm();
    };

    // Finished builds' records, oldest first; made when a build finishes, so its report is let go.
    const records = new Map<string, BuildRecord>();
    const record = (id: string): BuildRecord | undefined => {
      const live = [builds.running, builds.waiting].find((r) => r?.id === id);
      return live ? runRecord(live) : records.get(id);
    };
    const builds = new Coalescer<BuildReport>({
      now,
      run: async (run) => {
        // File changes (and the first build) push content/ first; a webhook builds what the
        // content bucket holds, as in the cloud.
        let notPushed: ContentIssue[] = [];
        if (stopping.signal.aborted) throw new BuildStoppedError("stopped before it began: the local stack is stopping");
        if (run.requests.some((r) => r.trigger !== "webhook")) {
          const pushed = await pushContent(o.contentDir, contentStore);
          // A folder that cannot be pushed whole stays a failure for /health until one is
          // pushed, though a webhook may build the bucket's older copy meanwhile, and succeed.
          unpushable = hasErrors(pushed.issues);
          if (unpushable) throw new ContentError(pushed.issues);
          notPushed = pushed.issues;
        }
        const report = await build({ source, store: feeds, now: now(), signal: stopping.signal });
        // Files the push left out (an editor's backups) are told with the build's own warnings.
        if (notPushed.length) report.warnings = [...notPushed, ...report.warnings];
        // feed.json read once per build, for the Link headers and the hub pings (a failed read
        // keeps the last links for the headers and pings nothing, as pingAfterPublish would).
        const published = await publishedLinks(feeds, log);
        links = published ?? links;
        // Hub pings run after the build and in order, so a slow hub never holds up the next build.
        pings = pings.then(() => pingHub(published, report.written, { log }));
        return report;
      },
      onFinish: (run) => {
        records.set(run.id, runRecord(run));
        if (records.size > KEPT_RECORDS) records.delete(records.keys().next().value!);
        o.onBuild?.(run, (run.finished_at ?? 0) - (run.started_at ?? 0));
        // The cache a build stored whole is read back and held while the stack waits for the
        // next change, so that the next build need not parse it (cached-load.ts holdStoredCache);
        // not when another build has started already (it reads the cache itself).
        if (run.result?.cache.savedAs === "full" && !builds.running) holding = holdStoredCache(feeds).catch(() => false);
        // A failed build tells nothing new: the schedule the last good one set stays.
        if (run.result) schedule(run.result.next_publication === null ? undefined : Date.parse(run.result.next_publication));
      },
    });

    // Runs after the server and the watcher are closed (cleanup runs in reverse).
    cleanup.push(async () => {
      schedule(undefined);
      // A running build stops at its next phase if it has not begun publishing (nothing of it
      // written); one publishing finishes. Then the store stops, with no build still using it.
      stopping.abort();
      // Let a running build finish (it may be publishing) and the hub pings go out, within reason.
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([builds.idle(), pings, holding]), new Promise((r) => (wait = setTimeout(r, STOP_BUILD_WAIT_MS)))]);
      clearTimeout(wait);
    });

    // GET /latest answers from node:http when it can (latest-fast.ts), from the same copies the app reads;
    // S3Store.getIfNoneMatch revalidates them.
    const latest = new LatestReader(feeds, now);
    const app = createApp({
      store: feeds,
      latest,
      webhookSecret: o.webhookSecret,
      triggerBuild: builds.trigger,
      health: () => buildState(builds.latest),
      lastFinishedFailed: () => builds.last?.state === "failed" || unpushable,
      buildRecords: record,
      documents: { links: () => links },
      now,
      log,
    });
    const host = o.host ?? "127.0.0.1";
    const server = createLocalServer(app.fetch, latestFastPath(latest), host);
    server.listen(o.port, host);
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    );
    const address = await listen(server);
    const firstBuild = builds.request({ trigger: "start", received_at: new Date(now()).toISOString() }).done;

    let watching = false;
    let timer: NodeJS.Timeout | undefined;
    let firstPending: number | undefined;
    if (o.watch ?? true) {
      // chokidar, not fs.watch: Node 20's recursive fs.watch on Linux watches each file's inode
      // by its path and never re-attaches it, so after one save by rename (vim, sed -i, git
      // checkout) every later edit or deletion of that file went unseen, and the feed stale.
      // awaitWriteFinish: a file counts as changed once its size has held for
      // WATCH_STABLE_MS, so that one written in steps (a sync tool, a network share, an editor
      // flushing a large file) is not built, and published, half-written.
      const root = resolvePath(o.contentDir);
      let w: FSWatcher | undefined;
      let lost: NodeJS.Timeout | undefined;
      let closed = false;
      let dropOld: () => Promise<void> | undefined = () => undefined;
      // Debounced, and at most WATCH_MAX_WAIT_MS after the first change: saves every 200 ms
      // must not put off the rebuild for as long as they go on. A deletion, a folder made or
      // removed, is told at once, while a file written beside it is told only once its size
      // has held: so the build also waits until no file has been written for WATCH_STABLE_MS
      // (chokidar's raw events), lest it read that file half-written (a rename, a checkout).
      let lastRaw = 0;
      let lastEvent = 0;
      const arm = () => {
        const at = Date.now();
        const due = Math.min(Math.max(lastEvent + WATCH_DEBOUNCE_MS, lastRaw + WATCH_STABLE_MS + WATCH_DEBOUNCE_MS), firstPending! + WATCH_MAX_WAIT_MS);
        clearTimeout(timer);
        timer = setTimeout(() => {
          firstPending = undefined;
          builds.request({ trigger: "watch", received_at: new Date(now()).toISOString() });
        }, Math.max(0, due - at));
      };
      const changed = () => {
        lastEvent = Date.now();
        firstPending ??= lastEvent;
        arm();
      };
      const written = () => {
        lastRaw = Date.now();
        if (firstPending !== undefined) arm();
      };
      // close() drops every listener, but a scan already under way may still emit an error
      // (EACCES on a folder made unreadable): unheard, it would end the process.
      const shut = (x: FSWatcher) => {
        const closing = x.close();
        x.on("error", () => undefined);
        return closing;
      };
      const open = async (): Promise<FSWatcher> => {
        const next = chokidar(o.contentDir, { ignoreInitial: true, followSymlinks: true, awaitWriteFinish: { stabilityThreshold: WATCH_STABLE_MS, pollInterval: 50 } });
        try {
          await new Promise<void>((resolve, reject) => {
            next.once("ready", resolve);
            next.once("error", reject);
          });
        } catch (err) {
          await shut(next);
          throw err;
        }
        next.on("all", (event, path) => {
          changed();
          // chokidar drops its root for good when the folder is moved away, replaced (rm -rf
          // and a fresh copy) or made unreadable, and never sees it come back: without this,
          // no later save would rebuild. Wait for the folder, then watch it anew.
          if (event === "unlinkDir" && resolvePath(path) === root && next === w) awaitRoot(next);
        });
        next.on("raw", written);
        next.on("error", (err) => log(`watching ${o.contentDir}: ${(err as Error).message}`));
        return next;
      };
      const awaitRoot = (gone: FSWatcher) => {
        w = undefined;
        // Closed once chokidar is done dropping it: closed from within its own event, it
        // leaves fs watchers open, and the process would not exit when stopped.
        let dropped: FSWatcher | undefined = gone;
        const drop = () => {
          const closing = dropped && shut(dropped);
          dropped = undefined;
          return closing;
        };
        dropOld = drop;
        log(`the content folder ${o.contentDir} is gone or cannot be read: the published documents stay; waiting for it to come back`);
        const check = async () => {
          lost = undefined;
          void drop();
          if (closed) return;
          const back = await readdir(o.contentDir).then(() => true, () => false);
          const next = back ? await open().catch(() => undefined) : undefined;
          if (closed) return void (next && shut(next));
          if (!next) {
            lost = setTimeout(check, WATCH_STABLE_MS);
            return;
          }
          w = next;
          log(`watching ${o.contentDir} again`);
          changed();
        };
        lost = setTimeout(check, WATCH_STABLE_MS);
      };
      try {
        w = await open();
        watching = true;
        cleanup.push(async () => {
          closed = true;
          clearTimeout(timer);
          clearTimeout(lost);
          await dropOld();
          if (w) await shut(w);
        });
      } catch (err) {
        log(`cannot watch ${o.contentDir} (${(err as Error).message}); rebuilds on change are off`);
      }
    }
    return {
      url: `http://${address.address}:${address.port}`,
      s3: { endpoint: s3.endpoint, pid: s3.pid },
      builds,
      record,
      firstBuild,
      cacheHeld: () => holding,
      watching,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
