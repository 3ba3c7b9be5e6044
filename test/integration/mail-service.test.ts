import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { MailEvents } from '../../main/mail/mail-service'
import { openServices, type CairnServices } from '../../main/services'
import { isCairnError } from '../../main/shared/errors'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const opened: CairnServices[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close()
})

function services(): CairnServices {
  const s = openServices(tempDir())
  opened.push(s)
  return s
}

function finished(s: CairnServices): Promise<MailEvents['importFinished']> {
  return new Promise((resolve) => {
    const off = s.mail.events.on('importFinished', (payload) => {
      off()
      resolve(payload)
    })
  })
}

describe('mail service', () => {
  it('imports in a worker thread, reporting progress, then serves the mail', async () => {
    const s = services()
    const mbox = join(tempDir(), 'Inbox.mbox')
    const messages = Array.from({ length: 3000 }, (_, i) =>
      buildMessage({ subject: `Message ${i}`, text: `body ${i} ${'lorem ipsum '.repeat(40)}` }),
    )
    messages.push(
      buildMessage({
        subject: 'The needle',
        text: 'a unique xylophone word',
        html: '<p>a unique <i>xylophone</i> word <img src="cid:logo"></p>',
      }),
    )
    writeFileSync(mbox, buildMbox(messages))
    const progress: number[] = []
    s.mail.events.on('importProgress', (p) => progress.push(p.bytesDone))
    let changed = 0
    s.mail.events.on('changed', () => changed++)
    const done = finished(s)
    const { jobId } = s.mail.startImport([mbox])
    expect(() => s.mail.startImport([mbox])).toThrow(/already running/)
    const result = await done
    expect(result).toMatchObject({ jobId, error: null, report: { imported: 3001 } })
    expect(progress.length).toBeGreaterThan(0)
    expect(changed).toBe(1)

    const [folder] = await s.mail.listFolders()
    expect(folder).toMatchObject({ name: 'Inbox', total: 3001 })
    const [hit] = await s.mail.search('xylo', 5)
    expect(hit?.subject).toBe('The needle')
    const detail = await s.mail.getMessage(hit?.id as number)
    expect(detail.html).toContain('<i>xylophone</i>')
    expect(detail.text).toContain('unique xylophone word')
  })

  it('reports a failed import as an event with the reason', async () => {
    const s = services()
    const done = finished(s)
    s.mail.startImport([join(tempDir(), 'missing.mbox')])
    const result = await done
    expect(result.report).toBeNull()
    expect(result.error).toMatchObject({ code: 'IMPORT_SOURCE_MISSING' })
    // A new import can start after a failed one.
    const next = finished(s)
    s.mail.startImport([join(tempDir(), 'missing-too.mbox')])
    await next
  })

  it('says clearly when a message no longer exists', async () => {
    const s = services()
    const error: unknown = await s.mail.getMessage(12345).catch((e: unknown) => e)
    expect(isCairnError(error, 'NOT_FOUND')).toBe(true)
    expect((error as Error).message).toBe('This message no longer exists.')
  })
})
