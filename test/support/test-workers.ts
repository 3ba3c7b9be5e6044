import { build } from 'esbuild'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const built = new Map<string, Promise<string>>()

/**
 * Bundle test/support/workers/<name>.ts into out/test-workers/<name>.js (in
 * the repository, so its packages resolve) and return its path: worker
 * entries that exist only for tests (a parser that dies, a task server that
 * misbehaves on request), built with the same runner code that ships.
 * Written under a temporary name and renamed, since test files run at once.
 */
export function testWorker(name: string): Promise<string> {
  let file = built.get(name)
  if (!file) {
    file = (async () => {
      const result = await build({
        absWorkingDir: root,
        entryPoints: [`test/support/workers/${name}.ts`],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        write: false,
        logLevel: 'warning',
      })
      const dir = join(root, 'out', 'test-workers')
      mkdirSync(dir, { recursive: true })
      const target = join(dir, `${name}.js`)
      const temp = `${target}.${process.pid}.tmp`
      writeFileSync(temp, result.outputFiles[0]?.contents ?? '')
      renameSync(temp, target)
      return target
    })()
    built.set(name, file)
  }
  return file
}
