// Builds everything Cairn runs: the Node-side entries (Electron main, CLI,
// workers, the browser build's host, benchmarks) bundled by esbuild into
// out/main, the preload script as one self-contained CommonJS file (a
// sandboxed preload cannot be an ES module and may require only electron,
// events, timers and url), and the renderer with Vite. Node-side dependencies
// stay external: they are installed beside the app (native ones cannot be
// bundled). Code shared by entries, and code loaded on demand (each CLI
// command), goes into chunks.
//
// The build is atomic: it is written to a staging folder under out/ and
// then published file by file (scripts/publish-build.mjs), so a process
// starting meanwhile, or a second build running at once, never sees a
// half-written out/.
//   node scripts/build.mjs             everything
//   node scripts/build.mjs --node-only skip the renderer
//   node scripts/build.mjs --out DIR   build into DIR instead of out/ (tests)
//   node scripts/build.mjs --test-hooks the Node-side entries with fault
//                                       injection compiled in, into out-test/
// The fault injection the crash tests use (main/shared/test-hooks.ts) is
// compiled out of the default build (its environment variable is defined
// as undefined there): a shipped Cairn must never kill itself because of
// an environment variable.
import { build as esbuild } from 'esbuild'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { publish, removeStaleStaging } from './publish-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const testHooks = process.argv.includes('--test-hooks')
const nodeOnly = testHooks || process.argv.includes('--node-only')
const outArg = process.argv.indexOf('--out')

/** Entry points bundled into out/main, flat, so workers sit beside the code that starts them. */
const mainEntries = {
  index: 'main/app/main.ts',
  cli: 'main/cli.ts',
  'web-host': 'main/ipc/web-host.ts',
  'import-worker': 'main/mail/import/import-worker.ts',
  'parse-worker': 'main/mail/import/parse-worker.ts',
  'body-prepare-worker': 'main/mail/sync/body-prepare-worker.ts',
  'read-worker': 'main/mail/read/read-worker.ts',
  'backup-worker': 'main/backup/schedule/backup-worker.ts',
  'hash-worker': 'main/backup/archive/hash-worker.ts',
  'block-hash-worker': 'main/backup/chain/block-hash-worker.ts',
  'sqlite-check-worker': 'main/backup/restore/sqlite-check-worker.ts',
  'stage-worker': 'main/backup/restore/stage-worker.ts',
  'open-worker': 'main/backup/pipeline/open-worker.ts',
  'seal-worker': 'main/backup/pipeline/seal-worker.ts',
  'vault-worker': 'main/vault/vault-worker.ts',
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

/**
 * The contract's event names, for the preload (which cannot load the
 * contract: it holds zod schemas). The contract is bundled and loaded here;
 * a service module that imports any package but zod at run time is refused,
 * so loading it never starts native code.
 */
async function contractEventNames(staging) {
  const dir = mkdtempSync(join(staging, '.contract-'))
  try {
    const file = join(dir, 'contract.mjs')
    await esbuild({
      ...common,
      packages: undefined,
      entryPoints: ['main/ipc/contract.ts'],
      outfile: file,
      format: 'esm',
      sourcemap: false,
      plugins: [
        {
          name: 'contract-imports-only-zod',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path === 'zod' || args.path.startsWith('zod/')) return { external: true }
              return {
                errors: [
                  {
                    text: `${args.importer} imports ${args.path}: a service module may import only zod at run time; reach services through the handler's context.`,
                  },
                ],
              }
            })
          },
        },
      ],
    })
    const { contract } = await import(pathToFileURL(file).href)
    return Object.entries(contract).flatMap(([service, def]) =>
      Object.keys(def.events).map((name) => `${service}.${name}`),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const outDir =
  outArg > 0 ? resolve(process.argv[outArg + 1] ?? '') : join(root, testHooks ? 'out-test' : 'out')
mkdirSync(outDir, { recursive: true })
removeStaleStaging(outDir, '.build-')
const staging = mkdtempSync(join(outDir, '.build-'))
try {
  const main = join(staging, 'main')
  // Chunk names tell electron-builder which files are the app's: benchmarks
  // and the vault server are left out of the installers by prefix.
  const esm = (entryPoints, prefix) =>
    esbuild({
      ...common,
      entryPoints,
      outdir: main,
      format: 'esm',
      splitting: true,
      chunkNames: `${prefix}chunk-[hash]`,
    })
  if (testHooks) await esm(mainEntries, '')
  else
    await Promise.all([
      esm(mainEntries, ''),
      // Benchmarks sit in out/main too, so the workers they start are found beside them.
      esm(benchEntries, 'bench-'),
      esm({ 'vault-server': 'vault/server.ts' }, 'vault-'),
      esbuild({
        absWorkingDir: root,
        bundle: true,
        // Electron's sandboxed renderer, not Node: a Node built-in import fails the build.
        platform: 'browser',
        target: 'chrome130',
        external: ['electron'],
        sourcemap: 'linked',
        logLevel: 'warning',
        define: { __CAIRN_EVENT_NAMES__: JSON.stringify(await contractEventNames(staging)) },
        entryPoints: { index: 'preload/index.ts' },
        outdir: join(staging, 'preload'),
        outExtension: { '.js': '.cjs' },
        format: 'cjs',
      }),
    ])
  if (!nodeOnly) {
    const { build: viteBuild } = await import('vite')
    await viteBuild({
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: join(staging, 'renderer'), emptyOutDir: true },
    })
  }
  for (const part of ['main', 'preload', 'renderer']) {
    if (part === 'renderer' && nodeOnly) continue
    if (part === 'preload' && testHooks) continue
    publish(join(staging, part), join(outDir, part))
  }
} finally {
  rmSync(staging, { recursive: true, force: true })
}
