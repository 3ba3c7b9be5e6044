import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the bundled entry of worker `name` lives. The build puts every
 * Node-side entry (app, CLI, workers) flat in out/main, so in the bundle the
 * worker sits beside the code that starts it. Run from TypeScript sources
 * (tests, benchmarks), the same build output is used: worker threads cannot
 * load .ts files, and testing the bundle is testing what ships.
 */
export function workerFile(name: string): string {
  const here = fileURLToPath(import.meta.url)
  const file = here.endsWith('.js')
    ? join(dirname(here), `${name}.js`)
    : resolve(dirname(here), '../../out/main', `${name}.js`)
  if (!existsSync(file)) {
    throw new Error(`The worker ${name} is missing at ${file}; run "npm run build" first.`)
  }
  return file
}
