import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { MessageView } from '../../main/ipc/contract'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { routerWorld } from '../support/router-world'
import { tempDir } from '../support/temp'

const world = routerWorld()

describe('mail.attachment.open', () => {
  it('never hands a program, script or shortcut from a mail to the system to open; documents open', async () => {
    const profileDir = tempDir()
    const mbox = join(tempDir(), 'Inbox.mbox')
    const names = [
      'invoice.pdf.exe',
      'SETUP.EXE. ',
      'photos.lnk',
      'read me.desktop',
      'update.command',
      'install.hta',
      'report.pdf',
    ]
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({
          subject: 'Files',
          text: 'Open these.',
          attachments: names.map((filename) => ({
            filename,
            contentType: 'application/octet-stream',
            content: Buffer.from(`bytes of ${filename}`),
          })),
        }),
      ]),
    )
    const services = world.services(profileDir)
    const { jobId } = services.mail.startImport([mbox])
    await new Promise<void>((resolve) => {
      const off = services.mail.events.on(
        'importFinished',
        (p) => p.jobId === jobId && (off(), resolve()),
      )
    })
    const opened: string[] = []
    const router = world.router(services, {
      openPath: (path) => {
        opened.push(path)
        return Promise.resolve()
      },
    })
    const id = (await services.mail.search('Files', 1))[0]?.id as number
    const got = await router.call('mail.get', { id })
    if (!got.ok) throw new Error(got.error.message)
    const { attachments } = got.value as MessageView
    expect(attachments.map((a) => a.filename).sort()).toEqual([...names].sort())
    const open = (filename: string) =>
      router.call('mail.attachment.open', {
        messageId: id,
        attachmentId: attachments.find((a) => a.filename === filename)?.id,
      })

    // What a compromised reader would call, or a user would click on a lure: refused, nothing copied.
    for (const program of names.filter((n) => n !== 'report.pdf')) {
      const answer = await open(program)
      expect(answer, program).toMatchObject({ ok: false, error: { code: 'ACTION_NOT_ALLOWED' } })
      expect(answer.ok || answer.error.message).toContain('Save it instead')
    }
    expect(opened).toEqual([])
    const openedDir = join(services.profile.paths.cache, 'opened')
    const copies = existsSync(openedDir) ? readdirSync(openedDir) : []
    expect(copies).toEqual([])

    // A document opens as before.
    expect(await open('report.pdf')).toMatchObject({ ok: true })
    expect(opened.map((p) => basename(p))).toEqual(['report.pdf'])
    expect(readFileSync(opened[0] as string, 'utf8')).toBe('bytes of report.pdf')

    // Saving a program stays possible (the user chose the folder).
    const folder = tempDir()
    const picking = world.router(services, { pickFolder: () => Promise.resolve(folder) })
    const saved = await picking.call('mail.attachment.save', {
      messageId: id,
      attachmentId: attachments.find((a) => a.filename === 'invoice.pdf.exe')?.id,
    })
    expect(saved).toMatchObject({ ok: true, value: { path: join(folder, 'invoice.pdf.exe') } })
  })
})
