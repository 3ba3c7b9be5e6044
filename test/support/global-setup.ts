import { execFileSync } from 'node:child_process'

/** Build everything once before the tests: workers, the CLI and the browser build run from out/. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
}
