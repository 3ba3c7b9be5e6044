import { execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { publishOrder } from '../../scripts/publish-build.mjs'

const root = join(import.meta.dirname, '..', '..')
// Inside the repository, so the built code finds node_modules as out/ does.
const out = join(root, 'out', `.test-build-${process.pid}`)
afterAll(() => rmSync(out, { recursive: true, force: true }))

function build(): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'scripts', 'build.mjs'), '--node-only', '--out', out],
      {
        stdio: 'ignore',
      },
    )
    child.on('error', reject)
    child.on('close', resolve)
  })
}

describe('the build', () => {
  it('puts shared chunks, assets and maps in place before the entries that load them', () => {
    expect(
      publishOrder([
        'index.html',
        'cli.js',
        'chunk-AB12.js',
        'assets/index-x.js',
        'cli.js.map',
        'bench-chunk-CD34.js',
      ]),
    ).toEqual([
      'cli.js.map',
      'assets/index-x.js',
      'bench-chunk-CD34.js',
      'chunk-AB12.js',
      'cli.js',
      'index.html',
    ])
  })

  it('never shows a half-written out/: the CLI keeps working while two builds replace it', async () => {
    expect(await build()).toBe(0)
    const cli = join(out, 'main', 'cli.js')
    let building = true
    const builds = Promise.all([build(), build()]).finally(() => (building = false))
    let runs = 0
    // `import --help` loads the import command's chunk on demand: the late file a naive build breaks.
    do {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'import', '--help'])
      expect(stdout).toMatch(/^cairn import \[--profile DIR\]/)
      runs += 1
    } while (building)
    expect(await builds).toEqual([0, 0])
    expect(runs).toBeGreaterThan(1)
    expect(readdirSync(out).filter((name) => name.startsWith('.build-'))).toEqual([])
    expect(existsSync(cli)).toBe(true)
  })
})
