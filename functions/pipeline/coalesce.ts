/**
 * Build coalescing (issue 3, "Bursts coalesce"): at most one build runs and at most one waits.
 * A request that arrives while a build runs joins the waiting build, never the running one:
 * the running build may already have read the content, the waiting one reads it when it starts.
 * So every caller gets the id of a build that starts after its request, and thus includes it.
 */
import { randomBytes } from "node:crypto";

/** Why a build is wanted: what the webhook, the file watcher or a queue message says. */
export interface BuildRequest {
  trigger: string;
  delivery_id?: string;
  /**
   * The id the request is to have where requests have their own (the build queue): for a
   * delivery with an id, one derived from it (webhook.ts deliveryRequestId), the same on every
   * instance. The local stack's builds have their own ids, shared by the requests they cover.
   */
  request_id?: string;
  received_at: string;
}

/** The answer to a build request: the id of the build that will include it. */
export interface BuildTicket {
  id: string;
  /**
   * Settles when that build has finished: true when it succeeded. Given where the builder is in
   * this process (the local stack), so the webhook can forget a delivery whose build failed and
   * take the sender's redelivery as new; a queued build (AWS) has none, and retries on its own.
   */
  done?: Promise<boolean>;
  /** The request was accepted before, as a record in the feeds bucket says (AWS): nothing was started, `id` is that request's. */
  duplicate?: boolean;
  /**
   * The feeds bucket remembers the request (AWS: its record, claimed before it was queued), for
   * every instance, and tells when its build failed: the delivery log need not keep it.
   */
  shared?: boolean;
}

/**
 * Starts (or queues) a build and answers with its id. Locally a `Coalescer`; on AWS the API
 * Lambda sends the request to the build queue and the consumer builds.
 */
export type TriggerBuild = (request: BuildRequest) => Promise<BuildTicket>;

export type RunState = "waiting" | "running" | "succeeded" | "failed";

export interface BuildRun<R> {
  id: string;
  requests: BuildRequest[];
  state: RunState;
  queued_at: number;
  started_at?: number;
  finished_at?: number;
  result?: R;
  error?: unknown;
}

export interface CoalescerOptions<R> {
  /** Does the build; called when the run starts, so it sees the content as it is then. */
  run: (run: BuildRun<R>) => Promise<R>;
  now?: () => number;
  newId?: (now: number) => string;
  onFinish?: (run: BuildRun<R>) => void;
}

/** Sortable and unique: `20260102T030405Z-1a2b3c`. */
export function defaultBuildId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:]|\.\d+/g, "")}-${randomBytes(3).toString("hex")}`;
}

export class Coalescer<R> {
  private current?: BuildRun<R>;
  private next?: BuildRun<R>;
  private previous?: BuildRun<R>;
  private readonly settled = new Map<BuildRun<R>, { promise: Promise<BuildRun<R>>; resolve: (r: BuildRun<R>) => void }>();
  private readonly now: () => number;
  private readonly newId: (now: number) => string;

  constructor(private readonly options: CoalescerOptions<R>) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? defaultBuildId;
  }

  /** Queue a change; `done` settles (never rejects) when the build that includes it has finished. */
  request(request: BuildRequest): { id: string; done: Promise<BuildRun<R>> } {
    let run = this.next;
    if (run) run.requests.push(request);
    else {
      run = { id: this.newId(this.now()), requests: [request], state: "waiting", queued_at: this.now() };
      let resolve!: (r: BuildRun<R>) => void;
      const promise = new Promise<BuildRun<R>>((r) => (resolve = r));
      this.settled.set(run, { promise, resolve });
      if (this.current) this.next = run;
      else this.start(run);
    }
    return { id: run.id, done: this.settled.get(run)!.promise };
  }

  /** As a `TriggerBuild`, for the HTTP app. */
  readonly trigger: TriggerBuild = async (request) => {
    const { id, done } = this.request(request);
    return { id, done: done.then((run) => run.state === "succeeded") };
  };

  get running(): BuildRun<R> | undefined {
    return this.current;
  }
  get waiting(): BuildRun<R> | undefined {
    return this.next;
  }
  /** The most recent build to have run (or be running). */
  get latest(): BuildRun<R> | undefined {
    return this.current ?? this.previous;
  }
  /** The last finished build. */
  get last(): BuildRun<R> | undefined {
    return this.previous;
  }

  /** Resolves once nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.current) await this.settled.get(this.current)?.promise;
  }

  private start(run: BuildRun<R>): void {
    this.current = run;
    run.state = "running";
    run.started_at = this.now();
    const finish = (state: RunState, result?: R, error?: unknown) => {
      Object.assign(run, { state, result, error, finished_at: this.now() });
      this.previous = run;
      this.current = undefined;
      const waiting = this.next;
      this.next = undefined;
      if (waiting) this.start(waiting);
      try {
        this.options.onFinish?.(run);
      } finally {
        this.settled.get(run)!.resolve(run);
        this.settled.delete(run);
      }
    };
    Promise.resolve()
      .then(() => this.options.run(run))
      .then((r) => finish("succeeded", r), (e: unknown) => finish("failed", undefined, e));
  }
}
