import { execFileSync } from 'node:child_process'

/**
 * Before the tests: native modules built for Node (after `npm start` they
 * are built for Electron; see scripts/native-modules.mjs, a no-op when they
 * already are), then everything built once: workers, the CLI and the
 * browser build run from out/ (what ships); the crash tests run the test
 * build in out-test/, which alone has the fault injection
 * (main/shared/test-hooks.ts).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/native-modules.mjs', 'node'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/build.mjs', '--test-hooks'], { stdio: 'inherit' })
}
