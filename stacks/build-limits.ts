/**
 * The build function's limits: plain constants, with no SST in this module, so that the code
 * that needs them imports them instead of copying them. stacks/pipeline.ts configures the build
 * function and its queue with them; functions/core/build-record.ts reads them, to tell a build
 * request's `running` record whose build was stopped from one whose build still runs, and a
 * request no attempt ever started from one still waiting.
 */

/**
 * Deliveries before a message is dead-lettered. More than AWS's minimum advice of 5: a delivery
 * whose build waited out the lease (another build, or a CLI `build --bucket`) counts too.
 */
export const MAX_RECEIVE = 10;
/** The build function's time limit: past it, Lambda stops the invocation, recording nothing. */
export const BUILD_TIMEOUT_SECONDS = 180;
/** How long the event source collects messages into one invocation. */
export const BATCH_WINDOW_SECONDS = 10;
/**
 * The build queue's visibility timeout: AWS's advice, at least 6 × the function's time limit plus
 * the batching window, so that a message is not delivered again while a build that covers it may
 * still run. A message a build did not finish is delivered again after it.
 */
export const VISIBILITY_TIMEOUT_SECONDS = 6 * BUILD_TIMEOUT_SECONDS + BATCH_WINDOW_SECONDS;
