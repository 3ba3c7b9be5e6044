// Builds everything Cairn runs: the Node-side entries (Electron main, CLI,
// workers, the browser build's host, benchmarks) bundled by esbuild into
// out/, the preload script as CommonJS (sandboxed preloads cannot be ES
// modules), and the renderer with Vite. Dependencies stay external: they are
// installed beside the app (native ones cannot be bundled).
//   node scripts/build.mjs              everything, into out/
//   node scripts/build.mjs --node-only  skip the renderer
//   node scripts/build.mjs --test-hooks the Node-side entries with fault
//                                       injection compiled in, into out-test/
// The fault injection the crash tests use (main/shared/test-hooks.ts) is
// compiled out of the default build (its environment variable is defined
// as undefined there): a shipped Cairn must never kill itself because of
// an environment variable.
import { build as esbuild } from 'esbuild'
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const testHooks = process.argv.includes('--test-hooks')
const nodeOnly = testHooks || process.argv.includes('--node-only')
const outMain = testHooks ? 'out-test/main' : 'out/main'

/** Entry points bundled into out/main, flat, so workers sit beside the code that starts them. */
const mainEntries = {
  index: 'main/app/main.ts',
  cli: 'main/cli.ts',
  'web-host': 'main/ipc/web-host.ts',
  'import-worker': 'main/mail/import/import-worker.ts',
  'parse-worker': 'main/mail/import/parse-worker.ts',
  'backup-worker': 'main/backup/schedule/backup-worker.ts',
  'hash-worker': 'main/backup/archive/hash-worker.ts',
  'sqlite-check-worker': 'main/backup/restore/sqlite-check-worker.ts',
  'open-worker': 'main/backup/pipeline/open-worker.ts',
  'seal-worker': 'main/backup/pipeline/seal-worker.ts',
  'vault-server': 'vault/server.ts',
}

const benchEntries = Object.fromEntries(
  readdirSync(join(root, 'bench'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .filter((name) => name !== 'support.ts')
    .map((name) => [`bench-${name.replace(/\.ts$/, '')}`, `bench/${name}`]),
)

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: {
    __CAIRN_VERSION__: JSON.stringify(pkg.version),
    __CAIRN_KILL_AT_STEP__: testHooks ? 'process.env.CAIRN_TEST_KILL_AT_STEP' : 'undefined',
  },
}

rmSync(join(root, outMain), { recursive: true, force: true })
if (testHooks) {
  await esbuild({ ...common, entryPoints: mainEntries, outdir: outMain, format: 'esm' })
  process.exit(0)
}
await Promise.all([
  esbuild({ ...common, entryPoints: mainEntries, outdir: outMain, format: 'esm' }),
  // Benchmarks sit in out/main too, so the workers they start are found beside them.
  esbuild({ ...common, entryPoints: benchEntries, outdir: 'out/main', format: 'esm' }),
  esbuild({
    ...common,
    entryPoints: { index: 'preload/index.ts' },
    outdir: 'out/preload',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
  }),
])

if (!nodeOnly) {
  const { build: viteBuild } = await import('vite')
  await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' })
}
