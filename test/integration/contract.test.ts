import { z } from 'zod'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { writeBackupSettings, type BackupSettings } from '../../main/backup/backup-settings'
import { createServiceContext, type OwnedServiceContext } from '../../main/ipc/context'
import { contract, type EventName, type EventPayloads } from '../../main/ipc/contract'
import { defineService, method, methodTable, returns } from '../../main/ipc/define'
import { createRouter, type Router } from '../../main/ipc/router'
import { openServices, type CairnServices } from '../../main/services'
import { CairnError } from '../../main/shared/errors'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let services: CairnServices | undefined
let ctx: OwnedServiceContext | undefined

afterEach(async () => {
  ctx?.close()
  await services?.close()
  services = ctx = undefined
})

/**
 * A router over real services, whose context records every member a
 * handler touches: a refused call must touch none.
 */
function open(
  profileDir = tempDir(),
  options: { contract?: Parameters<typeof createRouter>[1]['contract'] } = {},
) {
  services = openServices(profileDir)
  ctx = createServiceContext(services, {})
  const touched: string[] = []
  const watched = new Proxy(ctx, {
    get(target, key, receiver) {
      touched.push(String(key))
      return Reflect.get(target, key, receiver) as unknown
    },
  })
  const log: string[] = []
  const router = createRouter(watched, {
    transport: 'test',
    log: (line) => log.push(line),
    ...options,
  })
  return { router, touched, log, services, ctx }
}

function collect(router: Router) {
  const events: { event: string; payload: unknown }[] = []
  const stop = router.subscribe((event, payload) => events.push({ event, payload }))
  const next = <E extends EventName>(name: E, timeout = 30_000) =>
    new Promise<EventPayloads[E]>((resolve, reject) => {
      const seen = events.find((e) => e.event === name)
      if (seen) return resolve(seen.payload as EventPayloads[E])
      const started = Date.now()
      const timer = setInterval(() => {
        const found = events.find((e) => e.event === name)
        if (found) {
          clearInterval(timer)
          resolve(found.payload as EventPayloads[E])
        } else if (Date.now() - started > timeout) {
          clearInterval(timer)
          reject(new Error(`no ${name} event within ${timeout} ms`))
        }
      }, 10)
    })
  return { events, stop, next }
}

describe('the service contract', () => {
  it('answers each service from the one registry: app, mail and backup', async () => {
    const made = await makeProfile({ messages: 4 })
    const { router } = open(made.dir)
    const info = await router.call('app.info', {})
    expect(info).toMatchObject({
      ok: true,
      value: { profileDir: made.dir, capabilities: { nativeDialogs: false } },
    })
    expect(await router.call('app.pickImportSources', {})).toEqual({ ok: true, value: null })
    expect(await router.call('mail.overview', {})).toEqual({ ok: true, value: { messageCount: 4 } })
    const status = await router.call('backup.status', {})
    expect(status).toMatchObject({
      ok: true,
      value: { configured: false, running: false, nextRunAt: null, lastSuccessAt: null },
    })
  })

  it("refuses input that does not match a method's schema, before any service runs, and logs it", async () => {
    const { router, touched, log } = open()
    for (const name of methodTable(contract).keys()) {
      for (const input of [{ unexpected: 'secret-password' }, 'x', 42, [1]]) {
        const envelope = await router.call(name, input)
        expect(envelope, `${name} ${JSON.stringify(input)}`).toMatchObject({
          ok: false,
          error: { code: 'INVALID_ARGUMENT' },
        })
      }
    }
    for (const input of [{ id: -1 }, { id: 1.5 }, { id: '1' }, { id: 1, extra: true }]) {
      expect(await router.call('mail.get', input)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      })
    }
    expect(touched).toEqual([])
    expect(log.length).toBeGreaterThan(methodTable(contract).size)
    expect(
      log.every((line) => line.startsWith('[ipc] refused ') && line.includes('INVALID_ARGUMENT')),
    ).toBe(true)
    // Inputs may hold secrets: the log names the method and the problem, never the values.
    expect(log.join('\n')).not.toContain('secret-password')
  })

  it("accounts: the renderer cannot hand over a CA file or a pin; the list carries each account's sync state", async () => {
    const { router, touched, services } = open()
    const server = { host: '127.0.0.1', port: 1, security: 'tls' as const, username: 'ada' }
    for (const extra of [{ caFile: '/etc/shadow' }, { pinned: { fingerprint256: 'AA', pem: 'x' } }])
      expect(
        await router.call('accounts.add', {
          email: 'ada@example.org',
          password: 'pw',
          imap: { ...server, ...extra },
          smtp: server,
          trust: {},
        }),
      ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(touched).toEqual([])
    expect(await router.call('accounts.list', {})).toEqual({ ok: true, value: [] })

    // An account whose server is not there: listed with its state (no password in the answer).
    const keyring = await useRealKeychain()
    onTestFinished(() => keyring.stop())
    await services.mailAccounts.accounts.add({
      email: 'ada@example.org',
      password: 'secret-password',
      imap: server,
      smtp: server,
      verify: false,
    })
    const listed = await router.call('accounts.list', {})
    expect(listed).toMatchObject({
      ok: true,
      value: [
        {
          email: 'ada@example.org',
          imap: { host: '127.0.0.1', port: 1 },
          state: { accountId: expect.any(Number), status: expect.any(String) },
        },
      ],
    })
    expect(JSON.stringify(listed)).not.toContain('secret-password')
    services.mailAccounts.accounts.remove(services.mailAccounts.accounts.list()[0]?.id as number)
  })

  it('refuses methods that do not exist, including inherited object keys, with UNKNOWN_METHOD', async () => {
    const { router, touched, log } = open()
    const names: unknown[] = [
      'mail.drop',
      'mail',
      'mail.',
      '.search',
      'constructor',
      '__proto__',
      'toString',
      'mail.__proto__',
      'app.constructor',
      42,
      null,
      { m: 1 },
    ]
    for (const name of names) {
      expect(await router.call(name, {}), String(JSON.stringify(name))).toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_METHOD' },
      })
    }
    expect(touched).toEqual([])
    expect(log).toHaveLength(names.length)
  })

  it("passes on a CairnError's code and message, and hides unexpected errors", async () => {
    const failing = {
      fail: defineService({
        methods: {
          coded: method({
            input: z.object({}).strict(),
            output: returns<null>(),
            handle: () => {
              throw new CairnError('IMPORT_BUSY', 'An import is already running.')
            },
          }),
          broken: method({
            input: z.object({}).strict(),
            output: returns<null>(),
            handle: () => {
              throw new Error('SQLITE_CORRUPT at /home/me/secret/path')
            },
          }),
        },
        events: {},
      }),
    }
    const { router } = open(tempDir(), { contract: failing })
    expect(await router.call('fail.coded', {})).toEqual({
      ok: false,
      error: { code: 'IMPORT_BUSY', message: 'An import is already running.' },
    })
    const original = console.error
    console.error = () => undefined
    try {
      const envelope = await router.call('fail.broken', {})
      expect(envelope).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
      expect(JSON.stringify(envelope)).not.toContain('secret')
    } finally {
      console.error = original
    }
  })

  it('forwards events of every service, and stops when unsubscribed', async () => {
    const made = await makeProfile({ messages: 2 })
    const { router, ctx } = open(made.dir)
    const { events, stop, next } = collect(router)
    ctx.host.commands.emit('command', { command: 'find' })
    expect(await next('app.command')).toEqual({ command: 'find' })
    const page = await router.call('mail.list', { folderId: 1, limit: 10 })
    if (!page.ok) throw new Error(page.error.message)
    const first = (page.value as { messages: { id: number }[] }).messages[0]?.id as number
    await router.call('mail.setSeen', { id: first, seen: false })
    expect(await next('mail.changed')).toEqual({ reason: 'flags' })
    stop()
    const before = events.length
    ctx.host.commands.emit('command', { command: 'import-mail' })
    await router.call('mail.setSeen', { id: first, seen: true })
    expect(events.length).toBe(before)
  })

  it('exposes the backup scheduler: refusals, a run with progress events, and the status after it', async () => {
    const made = await makeProfile({ messages: 6 })
    setUpBackupKey(made.dir)
    const { router, services } = open(made.dir)
    expect(await router.call('backup.runNow', {})).toMatchObject({
      ok: false,
      error: { code: 'BACKUP_DESTINATION' },
    })
    const dest = tempDir()
    writeBackupSettings(services.profile, (s) => ({ ...(s as BackupSettings), destination: dest }))
    const status = await router.call('backup.status', {})
    expect(status).toMatchObject({
      ok: true,
      value: {
        configured: true,
        custody: 'user',
        destination: dest,
        running: false,
        lastSuccessAt: null,
      },
    })

    const { events, next } = collect(router)
    expect(await router.call('backup.runNow', {})).toEqual({ ok: true, value: null })
    expect(await router.call('backup.runNow', {})).toMatchObject({
      ok: false,
      error: { code: 'BACKUP_BUSY' },
    })
    const running = await router.call('backup.status', {})
    expect(running).toMatchObject({ ok: true, value: { running: true, trigger: 'manual' } })
    expect(await next('backup.started')).toEqual({ trigger: 'manual' })
    const finished = await next('backup.finished', 60_000)
    expect(finished).toMatchObject({ ok: true, backup: { files: expect.any(Number) as number } })
    const progress = events.filter((e) => e.event === 'backup.progress').map((e) => e.payload)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ phase: 'writing' })
    expect(backupFiles(dest)).toHaveLength(1)

    const after = await router.call('backup.status', {})
    if (!after.ok) throw new Error(after.error.message)
    expect(after.value).toMatchObject({
      running: false,
      trigger: null,
      progress: null,
      lastError: null,
      consecutiveFailures: 0,
    })
    expect((after.value as { lastSuccessAt: string }).lastSuccessAt).toBe(
      (finished as { backup: { createdAt: string } }).backup.createdAt,
    )

    // With a schedule, the status says when the next automatic backup is due.
    writeBackupSettings(services.profile, (s) => ({
      ...(s as BackupSettings),
      schedule: { kind: 'interval', hours: 24 },
    }))
    const scheduled = await router.call('backup.status', {})
    if (!scheduled.ok) throw new Error(scheduled.error.message)
    const { nextRunAt, lastSuccessAt } = scheduled.value as {
      nextRunAt: string
      lastSuccessAt: string
    }
    expect(new Date(nextRunAt).getTime() - new Date(lastSuccessAt).getTime()).toBe(24 * 3_600_000)
  })

  it('reports a failed backup run as an event and in the status', async () => {
    const made = await makeProfile({ messages: 2 })
    setUpBackupKey(made.dir)
    const { router, services } = open(made.dir)
    const missing = `${tempDir()}/no/such/folder`
    writeBackupSettings(services.profile, (s) => ({
      ...(s as BackupSettings),
      destination: missing,
    }))
    const { next } = collect(router)
    expect(await router.call('backup.runNow', {})).toEqual({ ok: true, value: null })
    const finished = await next('backup.finished', 60_000)
    expect(finished).toMatchObject({ ok: false, error: { code: 'BACKUP_DESTINATION' } })
    const after = await router.call('backup.status', {})
    expect(after).toMatchObject({ ok: true, value: { running: false, consecutiveFailures: 1 } })
    expect((after as { value: { lastError: string } }).value.lastError).toMatch(/\S/)
  })
})
