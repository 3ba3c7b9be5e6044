import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { EventPayloads, OutboxItem } from '../../main/ipc/contract'
import type { Router } from '../../main/ipc/router'
import type { CairnServices } from '../../main/services'
import { fakeSmtp } from '../support/fake-smtp'
import { useRealKeychain } from '../support/keyring'
import { routerWorld } from '../support/router-world'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/sync-world'

const world = routerWorld()

/**
 * A stand-in SMTP server that is down: 'refuse' drops every connection at
 * once (the host is unreachable), 'hang' holds it silent (a send stays in
 * progress until `release`).
 */
async function deadSmtp(): Promise<{
  port: number
  mode: 'refuse' | 'hang'
  connections: number
  release(): void
  close(): Promise<void>
}> {
  const held = new Set<Socket>()
  const state = {
    port: 0,
    mode: 'refuse' as 'refuse' | 'hang',
    connections: 0,
    release() {
      for (const socket of held) socket.destroy()
      held.clear()
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const server: Server = createServer((socket) => {
    state.connections += 1
    if (state.mode === 'refuse') socket.destroy()
    else held.add(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as { port: number }).port
  return state
}

/** The latest `outbox.changed` payload, waited for until it satisfies `test`. */
function outboxEvents(router: Router) {
  let latest: OutboxItem[] | null = null
  const stop = router.subscribe((event, payload) => {
    if (event === 'outbox.changed') latest = (payload as EventPayloads['outbox.changed']).items
  })
  onTestFinished(stop)
  return async (test: (items: OutboxItem[]) => boolean): Promise<OutboxItem[]> => {
    await waitFor(() => latest !== null && test(latest), 20_000)
    return latest as unknown as OutboxItem[]
  }
}

/** Ada's account, sending through the stand-in SMTP server on `port` (plaintext, on loopback); no IMAP server. */
async function adaSendingThrough(
  services: CairnServices,
  port: number,
  options: { serverFilesSent?: boolean } = {},
): Promise<number> {
  const server = { host: '127.0.0.1', port, security: 'plain' as const }
  const { accountId } = await services.mailAccounts.accounts.add({
    email: 'ada@example.test',
    password: 'ada-password',
    imap: { ...server, port: 1, username: 'ada' },
    smtp: { ...server, username: 'ada' },
    allowPlaintext: true,
    ...options,
    verify: false,
  })
  return accountId
}

/** A profile with Ada's account whose SMTP server is the stand-in (down), and its router. */
async function adaWithDeadSmtp() {
  const keyring = await useRealKeychain()
  onTestFinished(() => keyring.stop())
  const smtp = await deadSmtp()
  onTestFinished(() => {
    smtp.release()
    return smtp.close()
  })
  const profileDir = tempDir()
  const services = world.services(profileDir)
  const router = world.router(services)
  const changed = outboxEvents(router)
  const accountId = await adaSendingThrough(services, smtp.port)
  /** The stored sources (raw messages) left in the profile's database, read beside the app's connection. */
  const storedSources = () => {
    const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true })
    try {
      return (db.prepare('SELECT count(*) AS n FROM message_sources').get() as { n: number }).n
    } finally {
      db.close()
    }
  }
  return { smtp, services, router, changed, accountId, storedSources }
}

describe('the outbox through the contract', () => {
  it('lists what waits with why, sends now, refuses to touch a message being sent, deletes', async () => {
    const { smtp, services, router, changed, accountId, storedSources } = await adaWithDeadSmtp()
    expect(await router.call('outbox.list', {})).toEqual({ ok: true, value: [] })

    // Queued: listed with its subject, recipients and account, not tried yet.
    const hostile = 'Plans \u202eexe.pdf\u202c \u001b[31mred'
    const send = services.mailAccounts.send
    const { outboxId } = await send.send(accountId, {
      to: ['ben@example.test', 'carol@example.test'],
      subject: hostile,
      text: 'The engine.',
    })
    const queued = await changed((items) => items.length === 1)
    expect(queued).toEqual([
      {
        id: outboxId,
        accountId,
        account: 'ada@example.test',
        subject: hostile,
        to: ['ben@example.test', 'carol@example.test'],
        state: 'queued',
        attempts: 0,
        lastError: null,
        nextAttemptAt: expect.any(Number),
        createdAt: expect.any(Number),
      },
    ])
    expect(await router.call('outbox.list', {})).toEqual({ ok: true, value: queued })

    // Sent now while the server is down: still queued, with the reason and the next try.
    const before = Date.now()
    expect(await router.call('outbox.sendNow', { outboxId })).toEqual({ ok: true, value: null })
    const [failed] = await changed(
      (items) => items[0]?.attempts === 1 && items[0].lastError !== null,
    )
    expect(failed).toMatchObject({ state: 'queued', attempts: 1 })
    expect(failed?.lastError).toContain(`127.0.0.1:${smtp.port} cannot be reached for sending`)
    expect(failed?.nextAttemptAt).toBeGreaterThan(before + 20_000)

    // Being sent (the server holds the connection), a second message due behind it.
    smtp.mode = 'hang'
    const second = await send.send(accountId, {
      to: ['ben@example.test'],
      subject: 'P.S.',
      text: '',
    })
    await router.call('outbox.sendNow', { outboxId })
    await changed((items) => items[0]?.state === 'sending')
    // Neither deleted nor sent again while it is being sent.
    for (const name of ['outbox.remove', 'outbox.sendNow'] as const)
      expect(await router.call(name, { outboxId })).toEqual({
        ok: false,
        error: {
          code: 'OUTBOX_BUSY',
          message: 'This message is being sent right now; wait for the attempt to finish.',
        },
      })

    // The second, deleted before its turn in that same delivery, is never sent.
    expect(await router.call('outbox.remove', { outboxId: second.outboxId })).toEqual({
      ok: true,
      value: null,
    })
    smtp.mode = 'refuse'
    smtp.release()
    await changed((items) => items.length === 1 && items[0]?.state === 'queued')
    await send.idle()
    expect(smtp.connections).toBe(2)

    // Deleted: gone from the list, and its words from the profile; acting on it again is refused in words.
    expect(storedSources()).toBe(1)
    expect(await router.call('outbox.remove', { outboxId })).toEqual({ ok: true, value: null })
    await changed((items) => items.length === 0)
    expect(await router.call('outbox.list', {})).toEqual({ ok: true, value: [] })
    expect(storedSources()).toBe(0)
    for (const name of ['outbox.remove', 'outbox.sendNow'] as const)
      expect(await router.call(name, { outboxId })).toEqual({
        ok: false,
        error: { code: 'OUTBOX_NOT_FOUND', message: 'This message is no longer in the outbox.' },
      })
    for (const input of [{ outboxId: -1 }, { outboxId: 1.5 }, { outboxId: '1' }, {}])
      expect(await router.call('outbox.sendNow', input)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      })
  })

  it('tries a message sent from the compose window at once, not at the outbox timer’s next tick', async () => {
    const { smtp, services, router, changed, accountId } = await adaWithDeadSmtp()
    const draft = await router.call('compose.start', { kind: 'new', accountId })
    if (!draft.ok) throw new Error(JSON.stringify(draft.error))
    const draftId = (draft.value as { id: number }).id
    await router.call('compose.save', {
      draftId,
      to: [{ name: 'Ben', address: 'ben@example.test' }],
      subject: 'At once',
      html: '<p>Now.</p>',
    })
    expect(await router.call('compose.send', { draftId })).toMatchObject({ ok: true })
    // No outbox timer runs here: only the send itself can have tried.
    const [tried] = await changed(
      (items) => items[0]?.attempts === 1 && items[0].lastError !== null,
    )
    expect(tried).toMatchObject({ subject: 'At once', state: 'queued' })
    expect(smtp.connections).toBe(1)
    await services.mailAccounts.send.idle()
  })

  it('tells the desktop once when a server refuses a message for good; clicking opens the Outbox', async () => {
    const keyring = await useRealKeychain()
    onTestFinished(() => keyring.stop())
    const smtp = await fakeSmtp({ rcpt: () => '550 5.1.1 <ben@example.test>: mailbox unknown' })
    onTestFinished(() => new Promise<void>((resolve) => smtp.server.close(() => resolve())))
    const services = world.services(tempDir())
    const notices: { title: string; body: string; click: () => void }[] = []
    const host = {
      notify: (notice: { title: string; body: string }, click: () => void) => {
        notices.push({ ...notice, click })
        return true
      },
    }
    const router = world.router(services, host)
    const commands: unknown[] = []
    onTestFinished(
      router.subscribe((event, payload) => {
        if (event === 'app.command') commands.push(payload)
      }),
    )
    const accountId = await adaSendingThrough(services, smtp.port, { serverFilesSent: true })
    const send = services.mailAccounts.send
    await send.send(accountId, {
      to: ['ben@example.test'],
      subject: 'Engine \u202eexe.pdf\u202c <b>plans</b>',
      text: 'x',
    })
    await send.flush()
    expect(send.outbox()).toMatchObject([{ state: 'failed' }])
    expect(notices.map(({ title, body }) => ({ title, body }))).toEqual([
      {
        title: 'A message was not sent',
        // Plain text: no direction overrides, no markup.
        body: '“Engine exe.pdf ‹b›plans‹/b›” to ben@example.test: 127.0.0.1 did not accept the message: 550 5.1.1 ‹ben@example.test›: mailbox unknown',
      },
    ])
    notices[0]?.click()
    expect(commands).toEqual([{ command: 'open-outbox' }])

    // Tried again and refused again for the same reason: not news. Nor is it
    // to the next window (a new context over the same profile).
    await send.sendNow(send.outbox()[0]!.id)
    await send.idle()
    world.router(services, host)
    await send.flush()
    expect(notices).toHaveLength(1)
  })
})
