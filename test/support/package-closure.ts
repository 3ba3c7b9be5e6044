import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

interface Manifest {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** Where Node would find package `name` when required from the package in `fromDir` (below `root`). */
export function resolvePackage(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root || dirname(dir) === dir) return null
  }
}

/** Every package a production install of the package in `dir` loads: name → folder. */
export function productionClosure(dir: string, root = dir): Map<string, string> {
  const seen = new Map<string, string>()
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
      const found = resolvePackage(name, packageDir, root)
      if (!found) continue // an optional dependency for another platform
      seen.set(name, found)
      visit(found)
    }
  }
  visit(dir)
  return seen
}
