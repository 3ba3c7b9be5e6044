import { ESLint } from 'eslint'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root })
  const [result] = await eslint.lintText(code, { filePath: join(root, file) })
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`)
}

describe('layering rules', () => {
  it('fail the build when code outside main/app and preload imports electron', async () => {
    const messages = await lint(
      'main/mail/example.ts',
      "import { app } from 'electron'\nexport const x = app\n",
    )
    expect(messages.join('\n')).toMatch(
      /no-restricted-imports: .*Only main\/app and preload may import electron/,
    )
  })

  it('allow electron in main/app and preload', async () => {
    expect(
      await lint('main/app/example.ts', "import { app } from 'electron'\nexport const x = app\n"),
    ).toEqual([])
    expect(
      await lint(
        'preload/example.ts',
        "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer\n",
      ),
    ).toEqual([])
  })

  it('keep stores and services from reaching up into the transports', async () => {
    const messages = await lint(
      'main/mail/example.ts',
      "import { dispatch } from '../ipc/dispatch.js'\nexport const x = dispatch\n",
    )
    expect(messages.join('\n')).toMatch(/Lower layers must not import ipc/)
  })

  it('let the renderer import only types from main/', async () => {
    const code = await lint(
      'renderer/example.ts',
      "import { dispatch } from '../main/ipc/dispatch'\nexport const x = dispatch\n",
    )
    expect(code.join('\n')).toMatch(/Import only types from main/)
    const types = await lint(
      'renderer/example.ts',
      "import type { Method } from '../main/ipc/contract'\nexport type X = Method\n",
    )
    expect(types).toEqual([])
  })

  it("refuse Node's globals in the renderer (its type check sees Node's types through the contract)", async () => {
    const messages = await lint(
      'renderer/example.ts',
      'export const home = process.env.HOME\nexport const b = Buffer.from("x")\n',
    )
    expect(messages.filter((m) => m.includes('The renderer has no Node'))).toHaveLength(2)
  })

  it('start worker threads only through the worker runner', async () => {
    const code =
      "import { Worker } from 'node:worker_threads'\nexport const w = new Worker('x.js')\n"
    expect((await lint('main/backup/example.ts', code)).join('\n')).toMatch(
      /no-restricted-syntax: Start worker threads through main\/workers/,
    )
    expect(await lint('main/workers/worker-thread.ts', code)).toEqual([])
  })

  it('keep the backup engine off the destinations’ storage: no fs and no concrete store, only the interfaces', async () => {
    const fsImport = "import { rmSync } from 'node:fs'\nexport const x = rmSync\n"
    const store =
      "import { FolderStore } from './destination/folder/folder-store.js'\nexport const x = FolderStore\n"
    for (const file of [
      'main/backup/run-backup.ts',
      'main/backup/verify.ts',
      'main/backup/restore/plan.ts',
      'main/backup/restore/unpack.ts',
      'main/backup/pipeline/seal-worker.ts',
      'main/backup/pipeline/open-worker.ts',
      'main/backup/schedule/scheduler.ts',
      'main/backup/destination/retention.ts',
      'main/cli/list-command.ts',
      'main/cli/backup-command.ts',
      'main/cli/restore-command.ts',
    ]) {
      expect((await lint(file, fsImport)).join('\n'), file).toMatch(
        /no-restricted-imports: .*only through the Destination \/ BackupSource interfaces/,
      )
      expect((await lint(file, store)).join('\n'), file).toMatch(
        /no-restricted-imports: .*not a concrete store/,
      )
    }
    // The stores themselves, and the profile's side, use the file system.
    expect(await lint('main/backup/destination/folder/folder-store.ts', fsImport)).toEqual([])
    expect(await lint('main/backup/snapshot/profile-checks.ts', fsImport)).toEqual([])
  })
})
