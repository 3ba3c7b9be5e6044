// Builds everything Cairn runs: the Node-side entries (Electron main, CLI,
// workers, the browser build's host, benchmarks) bundled by esbuild into
// out/, the preload script as one self-contained CommonJS file (a sandboxed
// preload cannot be an ES module and may require only electron, events,
// timers and url), and the renderer with Vite. Node-side dependencies stay
// external: they are installed beside the app (native ones cannot be bundled).
//   node scripts/build.mjs             everything
//   node scripts/build.mjs --node-only skip the renderer
import { build as esbuild } from 'esbuild'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const nodeOnly = process.argv.includes('--node-only')

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
  define: { __CAIRN_VERSION__: JSON.stringify(pkg.version) },
}

/**
 * The contract's event names, for the preload (which cannot load the
 * contract: it holds zod schemas). The contract is bundled and loaded here;
 * a service module that imports any package but zod at run time is refused,
 * so loading it never starts native code.
 */
async function contractEventNames() {
  const dir = mkdtempSync(join(root, 'out', '.contract-'))
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

rmSync(join(root, 'out/main'), { recursive: true, force: true })
rmSync(join(root, 'out/preload'), { recursive: true, force: true })
await Promise.all([
  esbuild({ ...common, entryPoints: mainEntries, outdir: 'out/main', format: 'esm' }),
  // Benchmarks sit in out/main too, so the workers they start are found beside them.
  esbuild({ ...common, entryPoints: benchEntries, outdir: 'out/main', format: 'esm' }),
  esbuild({
    absWorkingDir: root,
    bundle: true,
    // Electron's sandboxed renderer, not Node: a Node built-in import fails the build.
    platform: 'browser',
    target: 'chrome130',
    external: ['electron'],
    sourcemap: 'linked',
    logLevel: 'warning',
    define: { __CAIRN_EVENT_NAMES__: JSON.stringify(await contractEventNames()) },
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
