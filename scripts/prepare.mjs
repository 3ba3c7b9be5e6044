// @ts-check
// npm runs `prepare` after `npm install` and `npm ci` in this repository,
// and also each time `npx cairn` or `npm link` links the folder. Only the
// first two build: linking must run the CLI that is already built, not
// rebuild out/ under a process that may be running it (bin/cairn.js says
// what to do when nothing is built yet).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Whether `prepare`, run by this npm command (npm_command), should build.
 * @param {string | undefined} npmCommand
 */
export function buildsOnPrepare(npmCommand) {
  return ['install', 'ci', 'pack', 'publish'].includes(npmCommand ?? '')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (buildsOnPrepare(process.env.npm_command)) {
    const build = fileURLToPath(new URL('./build.mjs', import.meta.url))
    const result = spawnSync(process.execPath, [build], { stdio: 'inherit' })
    process.exitCode = result.status ?? 1
  }
}
