// Module hooks that answer `import … from 'electron'` with a stand-in for
// the CLI-mode tests. The stand-in exports every name the build imports
// from electron (read from out/main), and each of them throws "window code
// ran in CLI mode" when touched, except app.exit() (exits with the code)
// and app.dock (undefined, as on Linux). So a test passes only if the
// app's main entry runs the command line before and instead of any window
// code.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const STAND_IN = 'cairn-test:electron'
const outMain = fileURLToPath(new URL('../../../out/main/', import.meta.url))

function importedNames() {
  const names = new Set()
  for (const file of readdirSync(outMain).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(join(outMain, file), 'utf8')
    for (const match of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']electron["']/g))
      for (const part of (match[1] ?? '').split(','))
        if (part.trim()) names.add(part.trim().split(/\s+as\s+/)[0])
  }
  names.delete('app')
  return [...names]
}

function source() {
  return `
const used = (what) => { throw new Error('window code ran in CLI mode: ' + what) }
const trap = (name) => new Proxy(function () {}, {
  get: (_t, p) => (p === 'then' ? undefined : used(name + '.' + String(p))),
  apply: () => used(name + '()'),
  construct: () => used('new ' + name),
})
export const app = new Proxy({}, {
  get(_t, p) {
    if (p === 'exit') return (code) => process.exit(code)
    if (p === 'dock' || p === 'then') return undefined
    return used('app.' + String(p))
  },
})
${importedNames()
  .map((name) => `export const ${name} = trap(${JSON.stringify(name)})`)
  .join('\n')}
export default new Proxy({}, { get: (_t, p) => (p === 'app' ? app : used(String(p))) })
`
}

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: STAND_IN, shortCircuit: true }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (url === STAND_IN) return { format: 'module', source: source(), shortCircuit: true }
  return next(url, context)
}
