/**
 * Ctrl-C (SIGINT) and SIGTERM during `build`. Writing into the output is atomic per file, and the
 * manifest goes last; but a process stopped between two renames leaves some documents of the old
 * build beside some of the new one (the next build repairs it, from the publish journal), and a
 * reader in between sees the mix. So:
 * - before publishing, the build stops at once: nothing of it was written (the build lease it
 *   leaves is stale at once, its process gone: lease.ts);
 * - while publishing, the publish is finished first, so the output is the old set or the new one,
 *   and the process stops before the build cache is stored; a second signal stops it at once;
 * - the exit code is 128 + the signal's number (130, 143), as a shell reports a signal's end.
 */

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof EXIT_CODES;

export interface InterruptDeps {
  on(signal: StopSignal, listener: () => void): void;
  off(signal: StopSignal, listener: () => void): void;
  exit(code: number): never;
  /** One line for the user (stderr). */
  say(line: string): void;
}

const processDeps: InterruptDeps = {
  on: (signal, listener) => process.on(signal, listener),
  off: (signal, listener) => process.off(signal, listener),
  exit: (code) => process.exit(code),
  say: (line) => process.stderr.write(`${line}\n`),
};

export interface InterruptGuard {
  /** The build's phase, as BuildOptions.onPhase tells it. */
  phase(name: string): void;
  /**
   * The build is over (done or failed): signals get their default action again (Ctrl-C while the
   * report prints, or during `--ping`, stops at once: everything is published). A stop asked
   * while publishing is made now, once a failed publish's error is told.
   */
  dispose(): void;
}

export interface InterruptOptions {
  /** Called before each message: clears a progress line. */
  beforeSay?: () => void;
  /** Called with the last message before the process stops (`build --json` prints it as its one JSON object). */
  onStop?: (message: string) => void;
}

/** `target`: the output as the user knows it (the store's description). */
export function interruptGuard(target: string, { beforeSay = () => undefined, onStop }: InterruptOptions = {}, deps: InterruptDeps = processDeps): InterruptGuard {
  let stage: "before" | "publishing" | "after" = "before";
  let pending: StopSignal | undefined;
  const say = (line: string) => {
    beforeSay();
    deps.say(line);
  };
  const stop = (signal: StopSignal, line: string): never => {
    say(line);
    onStop?.(line);
    return deps.exit(EXIT_CODES[signal]);
  };
  const listeners = new Map<StopSignal, () => void>();
  for (const signal of Object.keys(EXIT_CODES) as StopSignal[]) {
    const listener = () => {
      if (stage === "before") stop(signal, `Interrupted (${signal}): nothing was published; ${target} was left as it was.`);
      else if (stage === "after") stop(signal, `Interrupted (${signal}): the build is published into ${target}; the build cache was not stored.`);
      else if (pending) stop(signal, `Stopped while publishing (${signal} again): ${target} may hold documents of both builds until the next build, which completes what was begun.`);
      else {
        pending = signal;
        say(`Interrupted (${signal}) while publishing: finishing it, so that ${target} holds the new build whole, then stopping (${signal} again to stop at once).`);
      }
    };
    listeners.set(signal, listener);
    deps.on(signal, listener);
  }
  const stopIfPending = () => {
    if (!pending) return;
    // Still "publishing" here: the publish failed (its error is told), and nothing more is done.
    stop(pending, stage === "after" ? `Stopped after publishing into ${target}, as asked (${pending}); the build cache was not stored.` : `Stopped, as asked (${pending}).`);
  };
  return {
    phase(name) {
      if (name === "publishing") stage = "publishing";
      else if (stage === "publishing") {
        stage = "after";
        stopIfPending();
      }
    },
    dispose() {
      for (const [signal, listener] of listeners) deps.off(signal, listener);
      listeners.clear();
      stopIfPending();
    },
  };
}
