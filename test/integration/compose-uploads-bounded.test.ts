import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_PENDING_UPLOADS } from '../../main/mail/compose/uploads'
import { routerWorld } from '../support/router-world'
import { tempDir } from '../support/temp'

const world = routerWorld()

describe('compose uploads from a hostile renderer', () => {
  it('holds a bounded number of unfinished uploads (each keeps a file open in the main process)', async () => {
    const profileDir = tempDir()
    const services = world.services(profileDir)
    const router = world.router(services)
    const begin = () =>
      router.call('compose.upload.begin', {
        filename: 'a.bin',
        mimeType: 'application/octet-stream',
        size: 10,
      })

    const begun: string[] = []
    for (let i = 0; i < MAX_PENDING_UPLOADS; i++) {
      const answer = await begin()
      if (!answer.ok) throw new Error(answer.error.message)
      begun.push((answer.value as { uploadId: string }).uploadId)
    }
    // A renderer that never finishes what it began (or keeps beginning) is refused, not obeyed.
    for (let i = 0; i < 50; i++)
      expect(await begin()).toMatchObject({ ok: false, error: { code: 'UPLOAD_INVALID' } })
    const partFiles = readdirSync(join(services.profile.paths.cache, 'uploads'))
    expect(partFiles).toHaveLength(MAX_PENDING_UPLOADS)

    // Cancelling one makes room for the next.
    expect(await router.call('compose.upload.cancel', { uploadId: begun[0] })).toMatchObject({
      ok: true,
    })
    expect(await begin()).toMatchObject({ ok: true })
  })
})
