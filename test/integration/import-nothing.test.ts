import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImportReport } from '../../main/mail/import/import-types'
import { openServices } from '../../main/services'
import { runCli } from '../support/cli'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

/** Import through the app's own service (worker parsers, the real profile) and wait for its report. */
async function importInApp(
  profile: string,
  paths: string[],
): Promise<{ report: ImportReport; folders: string[] }> {
  const services = openServices(profile)
  try {
    const { jobId } = services.mail.startImport(paths)
    const report = await new Promise<ImportReport>((resolve, reject) => {
      const off = services.mail.events.on('importFinished', (p) => {
        if (p.jobId !== jobId) return
        off()
        if (p.report) resolve(p.report)
        else reject(new Error(p.error?.message))
      })
    })
    const folders = (await services.mail.listFolders()).map((f) => f.path)
    return { report, folders }
  } finally {
    await services.close()
  }
}

describe('an import that stores nothing', () => {
  it('says no mail was found in a folder holding none, and creates no folder', async () => {
    const source = tempDir()
    writeFileSync(join(source, 'notes.txt'), 'shopping list\n')
    mkdirSync(join(source, 'Empty.sbd'))
    const profile = tempDir()
    const fresh = openServices(profile)
    const before = (await fresh.mail.listFolders()).map((f) => f.path)
    await fresh.close()
    const { report, folders } = await importInApp(profile, [source])
    expect(report.imported).toBe(0)
    expect(report.folders).toEqual([])
    expect(report.emptyReason).toMatch(/^No mail was found there: Cairn imports mbox files/)
    expect(folders).toEqual(before)

    const cli = await runCli(['import', '--profile', profile, source])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toContain('Imported 0 messages: No mail was found there')
  })

  it('removes the folder it made when no message of the file could be read, and says why', async () => {
    const mbox = join(tempDir(), 'Broken.mbox')
    writeFileSync(mbox, buildMbox(['garbage without headers\n', 'more garbage\n']))
    const profile = tempDir()
    const { report, folders } = await importInApp(profile, [mbox])
    expect(report.imported).toBe(0)
    expect(report.skipped).toHaveLength(2)
    expect(report.emptyReason).toBe('None of the 2 messages could be read (see the list).')
    expect(report.folders).toEqual([])
    expect(folders).not.toContain('Broken')

    const cli = await runCli(['import', '--profile', profile, mbox])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toContain(
      'Imported 0 messages: None of the 2 messages could be read (see the list).',
    )
  })

  it('says every message is already there when the same file comes again, keeping its folder', async () => {
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(mbox, buildMbox([buildMessage({ subject: 'a' }), buildMessage({ subject: 'b' })]))
    const profile = tempDir()
    expect((await importInApp(profile, [mbox])).report.imported).toBe(2)
    const { report, folders } = await importInApp(profile, [mbox])
    expect(report.imported).toBe(0)
    expect(report.emptyReason).toBe('All 2 messages are already in Cairn.')
    expect(folders).toContain('Inbox')
  })
})
