import { readFileSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}

export default defineConfig({
  // In-process tests run the default build's behaviour; the crash tests spawn the test build (out-test/).
  define: { __CAIRN_VERSION__: JSON.stringify(pkg.version), __CAIRN_KILL_AT_STEP__: 'undefined' },
  test: {
    // Builds out/ once: workers, the CLI and the renderer run from the build, as they ship.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores (vitest's default keeps one free): the node tests spend much of their time
    // waiting on servers, child processes and disks, so two files at once nearly halve the run.
    maxWorkers: 2,
    // UI checks poll the page; under a loaded CI machine a render can take more than the 1 s default.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default'],
    // The browser journeys run last, one file at a time: with the servers and workers of
    // the other tests beside them on a 2-core machine, renders and drags slow down past
    // what a person would ever wait (and a test cannot tell that from a bug).
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
