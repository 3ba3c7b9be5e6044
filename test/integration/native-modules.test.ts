import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  builtForOf,
  ensureNative,
  STAMP,
  type Command,
  type Target,
} from '../../scripts/native-modules.mjs'
import { productionClosure } from '../support/package-closure'
import { tempDir } from '../support/temp'

const root = join(import.meta.dirname, '..', '..')
const realBinary = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
const nodeAbi = Number(process.versions.modules)
const node: Target = { runtime: 'node', version: process.versions.node, abi: nodeAbi }
const electron: Target = { runtime: 'electron', version: '39.8.10', abi: 140 }

/** A checkout with better-sqlite3's real binary, built for this Node. */
function checkout(): { dir: string; binary: string } {
  const dir = tempDir()
  const pkg = join(dir, 'node_modules', 'better-sqlite3')
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true })
  copyFileSync(join(root, 'node_modules/better-sqlite3/package.json'), join(pkg, 'package.json'))
  const binary = join(pkg, 'build', 'Release', 'better_sqlite3.node')
  copyFileSync(realBinary, binary)
  return { dir, binary }
}

/**
 * The same binary relabelled as built for another ABI: to this script, that
 * is what tells an Electron build from a Node one (an Electron build cannot
 * be made here).
 */
function relabelled(binary: string, abi: number): Buffer {
  const bytes = readFileSync(binary)
  const from = Buffer.from(`node_register_module_v${nodeAbi}`)
  const at = bytes.indexOf(from)
  expect(at).toBeGreaterThan(0)
  Buffer.from(`node_register_module_v${abi}`).copy(bytes, at)
  return bytes
}

function loadsInNode(binary: string): boolean {
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(binary)})`], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

const never = (command: Command): number => {
  throw new Error(`nothing should be rebuilt, but ran ${command.command}`)
}

describe('native modules for the runtime about to start', () => {
  it('need a rebuild for Electron only for better-sqlite3: every other native module is N-API', () => {
    const natives: Record<string, ReturnType<typeof builtForOf>> = {}
    const walk = (dir: string) => {
      for (const entry of readdirSyncSafe(dir)) {
        const path = join(dir, entry.name)
        if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'obj.target')
          walk(path)
        else if (entry.name.endsWith('.node') && !entry.name.startsWith('test_'))
          natives[path.slice(root.length + 1)] = builtForOf(readFileSync(path))
      }
    }
    for (const [, dir] of productionClosure(root)) walk(dir)
    const abiSpecific = Object.entries(natives).filter(([, built]) => built !== 'napi')
    expect(abiSpecific).toEqual([
      ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', nodeAbi],
    ])
    expect(Object.keys(natives).length).toBeGreaterThan(3)
  })

  it('switch to Electron and back by copies once each binary was built, and loads in Node again', () => {
    const { dir, binary } = checkout()
    // An Electron build made earlier (by a first `npm start`), kept in the cache.
    const cache = join(
      dir,
      'node_modules/.cache/cairn-native/better-sqlite3@' +
        (
          JSON.parse(readFileSync(join(dirname(binary), '../../package.json'), 'utf8')) as {
            version: string
          }
        ).version,
      `${process.platform}-${process.arch}`,
    )
    mkdirSync(join(cache, 'abi-140'), { recursive: true })
    writeFileSync(join(cache, 'abi-140', 'better_sqlite3.node'), relabelled(binary, 140))

    const toElectron = ensureNative({ root: dir, target: electron, run: never, log: () => {} })
    expect(toElectron.map((s) => s.kind)).toEqual(['save', 'restore'])
    expect(builtForOf(readFileSync(binary))).toBe(140)
    expect(existsSync(join(cache, `abi-${nodeAbi}`, 'better_sqlite3.node'))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'node_modules', STAMP), 'utf8'))).toMatchObject({
      'better-sqlite3': { abi: 140 },
    })

    const toNode = ensureNative({ root: dir, target: node, run: never, log: () => {} })
    expect(toNode.map((s) => s.kind)).toEqual(['restore'])
    expect(builtForOf(readFileSync(binary))).toBe(nodeAbi)
    expect(loadsInNode(binary)).toBe(true)

    // Already right: nothing is touched, the stamp answers without reading the binary.
    const before = statSync(binary).mtimeMs
    expect(ensureNative({ root: dir, target: node, run: never, log: () => {} })).toEqual([])
    expect(statSync(binary).mtimeMs).toBe(before)
  })

  it('notices a binary replaced behind its back (npm install, electron-builder)', () => {
    const { dir, binary } = checkout()
    ensureNative({ root: dir, target: node, run: never, log: () => {} })
    writeFileSync(binary, relabelled(binary, 140))
    const ran: Command[] = []
    expect(() =>
      ensureNative({
        root: dir,
        target: node,
        run: (command) => {
          ran.push(command)
          return 0
        },
        log: () => {},
      }),
    ).toThrow(
      `better-sqlite3 is built for ABI 140, not for Node ${process.versions.node} (ABI ${nodeAbi}), after switching.`,
    )
    expect(ran.map((c) => [c.command, ...c.args])).toEqual([['npm', 'rebuild', 'better-sqlite3']])
  })

  it('puts the old binary back when a rebuild fails (no internet for Electron’s headers)', () => {
    const { dir, binary } = checkout()
    const failing = (): number => {
      // node-gyp cleans the build folder before it fails
      writeFileSync(binary, '')
      return 1
    }
    expect(() =>
      ensureNative({ root: dir, target: electron, run: failing, log: () => {} }),
    ).toThrow(
      `Rebuilding better-sqlite3 for Electron 39.8.10 (ABI 140) failed (exit status 1). It downloads Electron's headers: the first \`npm start\` needs internet. The binaries it replaced are back: better-sqlite3 (ABI ${nodeAbi}).`,
    )
    expect(loadsInNode(binary)).toBe(true)
  })
})

function readdirSyncSafe(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}
