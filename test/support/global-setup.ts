import { execFileSync } from 'node:child_process'

/**
 * Build everything once before the tests: workers, the CLI and the browser
 * build run from out/ (what ships); the crash tests run the test build in
 * out-test/, which alone has the fault injection (main/shared/test-hooks.ts).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/build.mjs', '--test-hooks'], { stdio: 'inherit' })
}
