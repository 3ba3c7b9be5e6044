/**
 * `cairn`: headless commands over a profile, for terminals and scripts (the
 * entry of bin/cairn.js). The app binary runs the same commands in CLI mode
 * (cli/app-mode.ts). Command modules load only when their command runs, so
 * `cairn --help` starts at once.
 */
import { setFlagsFromString } from 'node:v8'
import { runCli } from './cli/run.js'

// A backup or restore hands ~1 MiB buffers from thread to thread, and a dead
// one is freed only when V8 next collects its young generation. With V8's
// default (16 MB semi-spaces) tens of MB of them wait; with 4 MB a 1 GB
// restore peaks about 10 MB lower at the same speed (docs/destinations.md).
// Set before any command runs; it sizes the heap, nothing else.
setFlagsFromString('--max-semi-space-size=4')

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
