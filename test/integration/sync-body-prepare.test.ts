import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import type * as Zstd from 'zstd-napi'
import { bodyPreparer } from '../../main/mail/sync/body-prepare'
import { sourceHash } from '../../main/mail/store/message-sources'
import { buildMessage } from '../support/mail-fixtures'
import { testWorker } from '../support/test-workers'

const zstd = createRequire(import.meta.url)('zstd-napi') as typeof Zstd
const open: ReturnType<typeof bodyPreparer>[] = []
afterEach(async () => {
  for (const p of open.splice(0)) await p.close()
})

function preparer(options: Parameters<typeof bodyPreparer>[0] = {}) {
  const p = bodyPreparer(options)
  open.push(p)
  return p
}

describe('synced bodies prepared in worker threads', () => {
  it('parses, hashes and compresses a fetched source in one round trip, the source intact', async () => {
    const raw = Buffer.from(
      buildMessage({ subject: 'Quarterly figures', messageId: 'q@example.com', text: 'Hello Bob' }),
    )
    const prepared = await preparer({ size: 1 }).prepare(raw)
    expect(prepared.error).toBeNull()
    expect(prepared.parsed?.subject).toBe('Quarterly figures')
    expect(prepared.parsed?.text).toMatch(/Hello Bob/)
    // Synced mail is keyed by its server copy: no de-duplication hash is computed.
    expect(prepared.parsed?.contentHash).toBe('')
    expect(prepared.sha256).toBe(sourceHash(raw))
    expect(Buffer.from(zstd.decompress(Buffer.from(prepared.compressed))).equals(raw)).toBe(true)
  })

  it('keeps the source of a message whose MIME cannot be read, with the reason', async () => {
    const raw = Buffer.from('this is no mail header at all\r\n\r\njust bytes')
    const prepared = await preparer({ size: 1 }).prepare(raw)
    expect(prepared.parsed).toBeNull()
    expect(prepared.error).toMatch(/mail header/)
    expect(prepared.sha256).toBe(sourceHash(raw))
    expect(Buffer.from(zstd.decompress(Buffer.from(prepared.compressed))).equals(raw)).toBe(true)
  })

  it('loses nothing when the thread dies holding a message: source kept with the reason, the rest prepared', async () => {
    const p = preparer({ size: 1, file: await testWorker('dying-body-preparer') })
    const killer = Buffer.from(
      buildMessage({
        subject: 'Killer',
        messageId: 'k@example.com',
        text: 'x',
        headers: { 'X-Kill-Parser': 'yes' },
      }),
    )
    const fine = Buffer.from(
      buildMessage({ subject: 'Fine', messageId: 'f@example.com', text: 'still here' }),
    )
    const [dead, alive] = await Promise.all([p.prepare(killer), p.prepare(fine)])
    expect(dead.parsed).toBeNull()
    expect(dead.error).toBeTruthy()
    expect(dead.sha256).toBe(sourceHash(killer))
    expect(Buffer.from(zstd.decompress(Buffer.from(dead.compressed))).equals(killer)).toBe(true)
    // It was held by the thread that died too, and was tried again on a fresh one.
    expect(alive.error).toBeNull()
    expect(alive.parsed?.subject).toBe('Fine')
  })
})
