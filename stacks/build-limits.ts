/**
 * The build function's limits: plain constants, with no SST in this module, so that the code
 * that needs them imports them instead of copying them. stacks/pipeline.ts configures the build
 * function and its queue with them; functions/core/build-record.ts reads the time limit, to tell
 * a build request's `running` record whose build was stopped from one whose build still runs.
 */

/**
 * Deliveries before a message is dead-lettered. More than AWS's minimum advice of 5: a delivery
 * whose build waited out the lease (another build, or a CLI `build --bucket`) counts too.
 */
export const MAX_RECEIVE = 10;
/** The build function's time limit: past it, Lambda stops the invocation, recording nothing. */
export const BUILD_TIMEOUT_SECONDS = 180;
