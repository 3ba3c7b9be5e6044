/**
 * The step at which to kill the process: in the test build (`scripts/build.mjs
 * --test-hooks`, into out-test/) the CAIRN_TEST_KILL_AT_STEP environment
 * variable; in the default build `undefined`, so a shipped Cairn holds
 * neither the variable's name nor any way to kill itself.
 */
declare const __CAIRN_KILL_AT_STEP__: string | undefined

/**
 * Named points in backup, restore and recovery where the crash-safety tests
 * kill the process (SIGKILL: no cleanup runs) to prove that the next start
 * finishes or undoes what was interrupted.
 */
export function reachedStep(step: string): void {
  const killAt = __CAIRN_KILL_AT_STEP__
  if (killAt !== undefined && killAt === step) process.kill(process.pid, 'SIGKILL')
}
