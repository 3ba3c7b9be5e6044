/**
 * `cairn`: headless commands over a profile, for terminals and scripts (the
 * entry of bin/cairn.js). The app binary runs the same commands in CLI mode
 * (cli/app-mode.ts). Command modules load only when their command runs, so
 * `cairn --help` starts at once.
 */
import { runCli } from './cli/run.js'

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
