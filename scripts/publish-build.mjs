// @ts-check
// Puts a finished build in place without ever leaving a half-written or
// missing file under out/: each file is renamed into place (atomic on one
// filesystem), files the new build shares are replaced, shared chunks and
// assets go before the entries that load them, and files of an older build
// are removed only at the end. Two builds may publish at once (two first
// `npx cairn` calls, a test run beside `npm start`): every file a process
// reads is complete, old or new.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'

/**
 * Files under `dir`, relative to it, with forward slashes.
 * @param {string} dir
 * @returns {string[]}
 */
export function listFiles(dir) {
  /** @type {string[]} */
  const files = []
  /** @param {string} current */
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(relative(dir, path).split(sep).join('/'))
    }
  }
  walk(dir)
  return files
}

/**
 * The order in which a build's files are put in place: what others load
 * (shared chunks, assets, source maps) before what loads them (entries,
 * index.html). Pure, for the tests.
 * @param {readonly string[]} files
 * @returns {string[]}
 */
export function publishOrder(files) {
  /** @param {string} file */
  const rank = (file) => {
    const name = file.split('/').pop() ?? file
    if (name.endsWith('.map')) return 0
    if (/^(?:[a-z]+-)?chunk-/.test(name) || file.startsWith('assets/')) return 1
    if (name === 'index.html') return 3
    return 2
  }
  return [...files].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * Move every file of `staging` into `target` (created if missing), then drop files of older builds.
 * @param {string} staging
 * @param {string} target
 */
export function publish(staging, target) {
  const files = listFiles(staging)
  mkdirSync(target, { recursive: true })
  for (const file of publishOrder(files)) {
    const to = join(target, file)
    mkdirSync(dirname(to), { recursive: true })
    renameSync(join(staging, file), to)
  }
  const current = new Set(files)
  for (const file of listFiles(target))
    if (!current.has(file)) rmSync(join(target, file), { force: true })
  rmSync(staging, { recursive: true, force: true })
}

/**
 * Remove staging folders of builds that died more than an hour ago.
 * @param {string} outDir
 * @param {string} prefix
 */
export function removeStaleStaging(outDir, prefix) {
  /** @type {string[]} */
  let entries = []
  try {
    entries = readdirSync(outDir)
  } catch {
    return
  }
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue
    const path = join(outDir, name)
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000)
        rmSync(path, { recursive: true, force: true })
    } catch {
      // another build removed it
    }
  }
}
