import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// Both builds are made by the tests' global setup (test/support/global-setup.ts), as `npm run build` and the test build.
const root = join(import.meta.dirname, '..', '..')

describe('fault injection lives in the test build only', () => {
  it('the default build (what ships) holds no CAIRN_TEST_KILL_AT_STEP; the test build does', () => {
    const out = join(root, 'out', 'main')
    const built = readdirSync(out).filter((name) => name.endsWith('.js'))
    expect(built).toEqual(expect.arrayContaining(['cli.js', 'index.js', 'backup-worker.js']))
    for (const name of built)
      expect(readFileSync(join(out, name), 'utf8'), name).not.toContain('CAIRN_TEST_KILL_AT_STEP')
    // Code shared by entries lives in chunks: look through every file of the test build.
    const testOut = join(root, 'out-test', 'main')
    const testBuilt = readdirSync(testOut).filter((name) => name.endsWith('.js'))
    expect(testBuilt).toContain('cli.js')
    expect(
      testBuilt.some((name) =>
        readFileSync(join(testOut, name), 'utf8').includes('process.env.CAIRN_TEST_KILL_AT_STEP'),
      ),
    ).toBe(true)
  })
})
