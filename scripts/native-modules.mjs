// @ts-check
// Native modules for the runtime about to run: Electron (`npm start`) or
// Node (tests, the CLI from the repository, the browser build's host,
// benchmarks, the vault).
//
// Most of Cairn's native modules use N-API (zstd-napi, sodium-native,
// @napi-rs/keyring): one binary loads in Node and in Electron. better-sqlite3
// does not: its binary is built for one ABI (NODE_MODULE_VERSION) at a time,
// 127 for Node 22 and another for Electron 39. So before a runtime starts,
// this script makes node_modules hold binaries for its ABI:
//   - nothing to do when they already are (node_modules/.cairn-native.json
//     records what each binary was built for; a binary changed since, say by
//     `npm install` or electron-builder, is read to find out);
//   - otherwise a binary built earlier for that ABI is put back from
//     node_modules/.cache/cairn-native (switching back and forth costs a copy);
//   - otherwise it is rebuilt: for Electron by @electron/rebuild, which
//     downloads Electron's headers (internet needed, the first time), for
//     Node by `npm rebuild`.
// The decision and the commands are pure functions (tested); ensureNative()
// carries them out.
//
//   node scripts/native-modules.mjs electron|node
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * @typedef {'node' | 'electron'} Runtime
 * @typedef {{ runtime: Runtime, version: string, abi: number }} Target
 * @typedef {number | 'napi' | null} BuiltFor  an ABI, N-API, or unknown (missing, unreadable)
 * @typedef {{ name: string, version: string, binary: string, builtFor: BuiltFor, cached: number[] }} ModuleState
 * @typedef {{ command: string, args: string[], env: Record<string, string | undefined>, shell: boolean }} Command
 * @typedef {{ kind: 'save', module: string, abi: number }
 *   | { kind: 'restore', module: string, abi: number }
 *   | { kind: 'rebuild', modules: string[], command: Command }} Step
 * @typedef {{ size: number, mtimeMs: number, abi: BuiltFor }} StampEntry
 */

/** The native modules whose binary is tied to one ABI, and where their binary is. */
export const ABI_SPECIFIC = /** @type {const} */ ({
  'better-sqlite3': 'build/Release/better_sqlite3.node',
})

export const STAMP = '.cairn-native.json'
export const CACHE = join('.cache', 'cairn-native')

/**
 * What a native binary was built for, read from the registration symbol it
 * exports: node_register_module_v<ABI> for an ABI-specific addon,
 * napi_register_module_v1 for N-API.
 * @param {Buffer} bytes
 * @returns {BuiltFor}
 */
export function builtForOf(bytes) {
  const match = /node_register_module_v(\d+)/.exec(bytes.toString('latin1'))
  if (match) return Number(match[1])
  if (bytes.includes('napi_register_module_v1')) return 'napi'
  return null
}

/**
 * The command that rebuilds `modules` for `target`.
 * @param {Target} target
 * @param {readonly string[]} modules
 * @param {{ root: string, platform: NodeJS.Platform, env: Record<string, string | undefined>, node: string }} where
 * @returns {Command}
 */
export function rebuildCommand(target, modules, where) {
  if (target.runtime === 'electron') {
    // A nodedir from the environment (set where Node's headers are local)
    // would make node-gyp build against Node instead of Electron.
    const env = { ...where.env }
    for (const key of Object.keys(env))
      if (/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(key)) delete env[key]
    return {
      command: where.node,
      args: [
        join(where.root, 'node_modules', '@electron', 'rebuild', 'lib', 'cli.js'),
        '--version',
        target.version,
        '--only',
        modules.join(','),
        '--force',
        '--module-dir',
        where.root,
      ],
      env,
      shell: false,
    }
  }
  return {
    command: 'npm',
    args: ['rebuild', ...modules],
    env: { ...where.env },
    // npm is a .cmd file on Windows, which only a shell can start.
    shell: where.platform === 'win32',
  }
}

/**
 * What to do so that every module is built for `target`: keep what already
 * is, save a binary about to be replaced (so that switching back is a
 * copy), restore a binary saved earlier, rebuild the rest in one command.
 * @param {Target} target
 * @param {readonly ModuleState[]} modules
 * @param {{ root: string, platform: NodeJS.Platform, env: Record<string, string | undefined>, node: string }} where
 * @returns {Step[]}
 */
export function planSwitch(target, modules, where) {
  /** @type {Step[]} */
  const steps = []
  /** @type {string[]} */
  const rebuild = []
  for (const module of modules) {
    if (module.builtFor === 'napi' || module.builtFor === target.abi) continue
    if (typeof module.builtFor === 'number' && !module.cached.includes(module.builtFor))
      steps.push({ kind: 'save', module: module.name, abi: module.builtFor })
    if (module.cached.includes(target.abi))
      steps.push({ kind: 'restore', module: module.name, abi: target.abi })
    else rebuild.push(module.name)
  }
  if (rebuild.length > 0)
    steps.push({
      kind: 'rebuild',
      modules: rebuild,
      command: rebuildCommand(target, rebuild, where),
    })
  return steps
}

/**
 * Where a module's binary built for `abi` is kept.
 * @param {string} root
 * @param {string} module
 * @param {string} version
 * @param {number} abi
 * @param {string} binary
 */
export function cachedBinary(root, module, version, abi, binary) {
  return join(
    root,
    'node_modules',
    CACHE,
    `${module}@${version}`,
    `${process.platform}-${process.arch}`,
    `abi-${abi}`,
    basename(binary),
  )
}

/**
 * The state of each ABI-specific module under `root`.
 * @param {string} root
 * @returns {ModuleState[]}
 */
export function moduleStates(root) {
  const stamp = readStamp(root)
  /** @type {ModuleState[]} */
  const states = []
  for (const [name, relative] of Object.entries(ABI_SPECIFIC)) {
    const dir = join(root, 'node_modules', name)
    if (!existsSync(join(dir, 'package.json'))) continue
    const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
    const binary = join(dir, relative)
    /** @type {BuiltFor} */
    let builtFor = null
    if (existsSync(binary)) {
      const stats = statSync(binary)
      const entry = stamp[name]
      builtFor =
        entry && entry.size === stats.size && entry.mtimeMs === stats.mtimeMs
          ? entry.abi
          : builtForOf(readFileSync(binary))
    }
    const cacheDir = dirname(dirname(cachedBinary(root, name, version, 0, binary)))
    const cached = existsSync(cacheDir)
      ? readdirAbis(cacheDir).filter((abi) =>
          existsSync(cachedBinary(root, name, version, abi, binary)),
        )
      : []
    states.push({ name, version, binary, builtFor, cached })
  }
  return states
}

/**
 * The ABIs a cache folder holds binaries for.
 * @param {string} dir
 */
function readdirAbis(dir) {
  return readdirSync(dir)
    .map((name) => /^abi-(\d+)$/.exec(name)?.[1])
    .filter((abi) => abi !== undefined)
    .map(Number)
}

/**
 * @param {string} root
 * @returns {Record<string, StampEntry>}
 */
function readStamp(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', STAMP), 'utf8'))
  } catch {
    return {}
  }
}

/**
 * Copy a file so that its destination is never seen half-written.
 * @param {string} from
 * @param {string} to
 */
function copyAtomically(from, to) {
  mkdirSync(dirname(to), { recursive: true })
  const temp = `${to}.${process.pid}.tmp`
  copyFileSync(from, temp)
  renameSync(temp, to)
}

/**
 * Run a rebuild command (the default; tests pass their own).
 * @param {Command} command
 * @returns {number | null} its exit status
 */
export function spawnCommand(command) {
  const result = spawnSync(command.command, command.args, {
    stdio: 'inherit',
    env: /** @type {NodeJS.ProcessEnv} */ (command.env),
    shell: command.shell,
  })
  return result.status
}

/**
 * Make every ABI-specific module under `root` load in `target`.
 * @param {{ root: string, target: Target, run?: (command: Command) => number | null,
 *   log?: (line: string) => void, env?: Record<string, string | undefined> }} options
 * @returns {Step[]} what was done
 */
export function ensureNative(options) {
  const { root, target } = options
  const run = options.run ?? spawnCommand
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  const modules = moduleStates(root)
  const where = {
    root,
    platform: process.platform,
    env: options.env ?? process.env,
    node: process.execPath,
  }
  const steps = planSwitch(target, modules, where)
  const byName = new Map(modules.map((m) => [m.name, m]))
  const runtime = `${target.runtime === 'electron' ? 'Electron' : 'Node'} ${target.version} (ABI ${target.abi})`
  for (const step of steps) {
    if (step.kind === 'save') {
      const module = /** @type {ModuleState} */ (byName.get(step.module))
      copyAtomically(
        module.binary,
        cachedBinary(root, module.name, module.version, step.abi, module.binary),
      )
    } else if (step.kind === 'restore') {
      const module = /** @type {ModuleState} */ (byName.get(step.module))
      log(`${module.name}: using the binary built earlier for ${runtime}`)
      copyAtomically(
        cachedBinary(root, module.name, module.version, step.abi, module.binary),
        module.binary,
      )
    } else {
      log(`Rebuilding ${step.modules.join(', ')} for ${runtime}…`)
      const status = run(step.command)
      if (status !== 0) {
        // A failed rebuild may have removed the binary (node-gyp cleans first): put the saved one back.
        const restored = []
        for (const name of step.modules) {
          const module = /** @type {ModuleState} */ (byName.get(name))
          if (typeof module.builtFor !== 'number') continue
          const saved = cachedBinary(root, name, module.version, module.builtFor, module.binary)
          if (!existsSync(saved)) continue
          copyAtomically(saved, module.binary)
          restored.push(`${name} (ABI ${module.builtFor})`)
        }
        const kept =
          restored.length > 0 ? ` The binaries it replaced are back: ${restored.join(', ')}.` : ''
        throw new Error(
          target.runtime === 'electron'
            ? `Rebuilding ${step.modules.join(', ')} for ${runtime} failed (exit status ${status}). It downloads Electron's headers: the first \`npm start\` needs internet.${kept}`
            : `Rebuilding ${step.modules.join(', ')} for ${runtime} failed (exit status ${status}): see npm's output above (a C++ toolchain is needed where no prebuilt binary can be downloaded).${kept}`,
        )
      }
    }
  }
  // Check what is there now, and record it.
  /** @type {Record<string, StampEntry>} */
  const stamp = {}
  for (const module of moduleStates(root)) {
    const built = existsSync(module.binary) ? builtForOf(readFileSync(module.binary)) : null
    if (built !== target.abi && built !== 'napi') {
      throw new Error(
        `${module.name} is built for ${built === null ? 'nothing loadable' : `ABI ${built}`}, not for ${runtime}, after ${steps.length > 0 ? 'switching' : 'checking'}. Run "npm rebuild ${module.name}" (for Node) or "npm start" (for Electron) and look at its output.`,
      )
    }
    const stats = statSync(module.binary)
    stamp[module.name] = { size: stats.size, mtimeMs: stats.mtimeMs, abi: built }
  }
  writeFileSync(join(root, 'node_modules', STAMP), `${JSON.stringify(stamp, null, 2)}\n`)
  return steps
}

/**
 * The runtime a command is about to start.
 * @param {Runtime} runtime
 * @param {string} root
 * @returns {Target}
 */
export function targetOf(runtime, root) {
  if (runtime === 'node')
    return { runtime, version: process.versions.node, abi: Number(process.versions.modules) }
  const require = createRequire(join(root, 'package.json'))
  const version = JSON.parse(
    readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8'),
  ).version
  // node-abi (from @electron/rebuild) knows each Electron release's ABI.
  const { getAbi } = require('node-abi')
  return { runtime, version, abi: Number(getAbi(version, 'electron')) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runtime = process.argv[2]
  if (runtime !== 'node' && runtime !== 'electron') {
    process.stderr.write('usage: node scripts/native-modules.mjs electron|node\n')
    process.exit(2)
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  try {
    ensureNative({ root, target: targetOf(runtime, root) })
  } catch (error) {
    process.stderr.write(`native modules: ${/** @type {Error} */ (error).message}\n`)
    process.exit(1)
  }
}
