import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

interface Manifest {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** Where Node would find package `name` when required from the package in `fromDir`. */
function resolvePackage(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root || dirname(dir) === dir) return null
  }
}

/** Every package a production install of the package in `dir` loads, by name. */
function productionClosure(dir: string): Set<string> {
  const seen = new Set<string>()
  const visited = new Set<string>()
  const visit = (packageDir: string) => {
    if (visited.has(packageDir)) return
    visited.add(packageDir)
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]
    for (const name of names) {
      const found = resolvePackage(name, packageDir)
      if (!found) continue // an optional dependency for another platform
      seen.add(name)
      visit(found)
    }
  }
  visit(dir)
  return seen
}

const serverOnly = ['fastify', 'pg', 'pkcs11js']

describe('the desktop app ships none of the vault server', () => {
  it('has no fastify, pg or pkcs11js in its production dependency closure', () => {
    const app = productionClosure(root)
    expect(app.has('better-sqlite3')).toBe(true)
    for (const name of serverOnly) expect(app.has(name), name).toBe(false)
  })

  it('finds them in the vault workspace, so the walk above can see them', () => {
    const vault = productionClosure(join(root, 'vault'))
    for (const name of serverOnly) expect(vault.has(name), name).toBe(true)
  })
})
