import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBackupSettings } from '../../main/backup/backup-settings'
import { backupKeyFromSecret, formatKeyHex } from '../../main/backup/key/backup-key'
import { osKeychain } from '../../main/keychain/keychain'
import { openProfile } from '../../main/profile/profile'
import { isCairnError } from '../../main/shared/errors'
import {
  checkVaultRecord,
  vaultRecordOf,
  VaultRecordWatch,
  type VaultRecordStatus,
} from '../../main/vault/record-check'
import { runCli } from '../support/cli'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { fastClient, loginStart, post } from '../support/vault-client'
import { devNodeEnv, sqliteGuesses, startVaultNode, type VaultNode } from '../support/vault'

// Issue 8, point 2: a stranger who knows a record id (it is in every backup's sidecar) can
// no longer burn the key in milliseconds, and the owner finds out when a record is gone.

let spaced: VaultNode // 3 free guesses, then 2 s doubling (the default is 15 minutes)
let defaults: VaultNode // the shipped spacing
let unspaced: VaultNode // spacing off, to burn records quickly
const dirs: Record<string, string> = {}

beforeAll(async () => {
  for (const name of ['spaced', 'defaults', 'unspaced'])
    dirs[name] = mkdtempSync(join(tmpdir(), `cairn-vault-${name}-`))
  ;[spaced, defaults, unspaced] = await Promise.all([
    startVaultNode(devNodeEnv(dirs.spaced as string, { CAIRN_VAULT_GUESS_DELAY: '2' })),
    startVaultNode(
      devNodeEnv(dirs.defaults as string, {
        CAIRN_VAULT_GUESS_DELAY: '',
        CAIRN_VAULT_FREE_GUESSES: '',
      }),
    ),
    startVaultNode(devNodeEnv(dirs.unspaced as string)),
  ])
})
afterAll(async () => {
  await Promise.all([spaced, defaults, unspaced].map((n) => n?.stop()))
})

const guessesOn = (name: string, id: string) =>
  sqliteGuesses(join(dirs[name] as string, 'vault.sqlite'), id)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function burn(url: string, id: string): Promise<void> {
  for (let i = 0; i < 12; i++) if ((await loginStart(url, id, `burn ${i}`)).status === 410) return
  throw new Error('the record was not destroyed')
}

describe('spacing between wrong passwords, kept by the database', () => {
  it('after 3 wrong passwords each attempt waits, twice as long each time; a too-early one is refused uncounted with a retry-after', async () => {
    const client = fastClient(spaced.url)
    const key = randomBytes(32)
    const id = await client.register('right', key)
    for (let i = 0; i < 3; i++) {
      const error = await client.recover(id, `wrong ${i}`).catch((e: unknown) => e)
      expect(isCairnError(error, 'VAULT_WRONG_PASSWORD')).toBe(true)
    }
    expect(guessesOn('spaced', id)).toBe(3)
    /** A too-early attempt: refused, not counted, told how long to wait (≈ `wait` seconds). */
    const refusedEarly = async (wait: number) => {
      const guesses = guessesOn('spaced', id)
      const early = await loginStart(spaced.url, id, 'too early')
      expect(early.status).toBe(429)
      expect(early.body.error).toBe('try_later')
      expect(early.body.retryAfterSeconds).toBeGreaterThanOrEqual(wait - 1)
      expect(early.body.retryAfterSeconds).toBeLessThanOrEqual(wait)
      const error = await client.recover(id, 'right').catch((e: unknown) => e)
      expect(isCairnError(error, 'VAULT_TRY_LATER'), String(error)).toBe(true)
      expect((error as Error).message).toMatch(/next try at .*That try was not counted/)
      expect(guessesOn('spaced', id)).toBe(guesses)
    }
    await refusedEarly(2)
    await sleep(2100)
    expect((await loginStart(spaced.url, id, 'on time, wrong')).status).toBe(200)
    expect(guessesOn('spaced', id)).toBe(4)
    await refusedEarly(4)
    await sleep(4100)
    // The right password, on time: the key, and the count and the wait start over.
    expect(Buffer.from(await client.recover(id, 'right')).equals(key)).toBe(true)
    expect(guessesOn('spaced', id)).toBe(0)
    for (let i = 0; i < 3; i++)
      expect((await loginStart(spaced.url, id, `again ${i}`)).status).toBe(200)
    // A record with a smaller limit makes at least its last guess wait.
    const small = await client.register('right', key, 3)
    const attempts = []
    for (let i = 0; i < 3; i++) attempts.push((await loginStart(spaced.url, small, `w${i}`)).status)
    expect(attempts).toEqual([200, 200, 429])
  }, 30_000)

  it('with the shipped settings, 11 login starts from a stranger no longer destroy the key: 3 count, the rest wait a quarter of an hour', async () => {
    const key = randomBytes(32)
    const id = await fastClient(defaults.url).register('right', key)
    const statuses = []
    for (let i = 0; i < 11; i++) statuses.push((await loginStart(defaults.url, id, `x${i}`)).status)
    expect(statuses).toEqual([200, 200, 200, ...Array(8).fill(429)])
    const refused = await loginStart(defaults.url, id, 'again')
    expect(refused.body.retryAfterSeconds).toBeGreaterThan(14 * 60)
    expect(refused.body.retryAfterSeconds).toBeLessThanOrEqual(15 * 60)
    expect(guessesOn('defaults', id)).toBe(3)
    const status = await fastClient(defaults.url).status(id, key)
    expect(status).toMatchObject({ state: 'active', guessesUsed: 3, maxGuesses: 10 })
    if (status.state !== 'active') throw new Error('unreachable')
    expect(Date.parse(status.nextGuessAt as string) - Date.now()).toBeGreaterThan(14 * 60_000)
  })
})

describe('the status call: spends no guess, tells only the owner', () => {
  it('the owner learns whether the record is there and how many wrong passwords it saw; everyone else hears "unknown"', async () => {
    const client = fastClient(unspaced.url)
    const key = randomBytes(32)
    const id = await client.register('right', key)
    const stranger = randomBytes(32)
    const unknownId = randomBytes(16).toString('hex')
    const raw = (recordId: string, token: string) =>
      post(unspaced.url, '/v1/status', { recordId, statusToken: token })
    const strangerToken = randomBytes(32).toString('base64url')

    expect(await client.status(id, key)).toEqual({
      state: 'active',
      guessesUsed: 0,
      maxGuesses: 10,
      nextGuessAt: null,
    })
    for (let i = 0; i < 5; i++) await client.status(id, key)
    expect(guessesOn('unspaced', id)).toBe(0) // no guess spent
    await loginStart(unspaced.url, id, 'wrong')
    await loginStart(unspaced.url, id, 'wrong')
    expect(await client.status(id, key)).toMatchObject({ state: 'active', guessesUsed: 2 })

    const strangers = async () => [
      await client.status(id, stranger),
      await client.status(unknownId, key),
      (await raw(id, strangerToken)).body,
      (await raw(unknownId, strangerToken)).body,
    ]
    expect(await strangers()).toEqual(Array(4).fill({ state: 'unknown' }))
    await burn(unspaced.url, id)
    expect(await client.status(id, key)).toEqual({ state: 'destroyed' })
    expect(await strangers()).toEqual(Array(4).fill({ state: 'unknown' }))

    const deletedId = await client.register('pw', key)
    await client.delete(deletedId, 'pw')
    expect(await client.status(deletedId, key)).toEqual({ state: 'deleted' })
    expect(await client.status(deletedId, stranger)).toEqual({ state: 'unknown' })
    // A deleted record's id answers a login like an unknown one, and can never be registered again.
    const error = await client.recover(deletedId, 'pw').catch((e: unknown) => e)
    expect(isCairnError(error, 'VAULT_WRONG_PASSWORD')).toBe(true)
  })
})

describe('the client watches its record and tells the user (cairn vault status, the app)', () => {
  let keyring: Awaited<ReturnType<typeof useRealKeychain>>
  beforeAll(async () => {
    keyring = await useRealKeychain()
  })
  afterAll(() => keyring?.stop())

  it('a burnt record is reported with what to do, and `cairn vault register` again gives a working new record for the same key', async () => {
    const profile = await makeProfile({ messages: 1 })
    expect((await runCli(['key', 'create', '--profile', profile.dir])).code).toBe(0)
    const registered = await runCli(
      [
        'vault',
        'register',
        '--profile',
        profile.dir,
        '--vault',
        unspaced.url,
        '--password-stdin',
        '--json',
      ],
      { input: 'first password\n' },
    )
    expect(registered.code).toBe(0)
    const { recordId, fingerprint } = JSON.parse(registered.stdout) as {
      recordId: string
      fingerprint: string
    }
    const ok = await runCli(['vault', 'status', '--profile', profile.dir])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/in place; no wrong password/)

    // The app's services: a watch over the profile's record.
    const settings = () => {
      const open = openProfile(profile.dir)
      try {
        return readBackupSettings(open)
      } finally {
        open.close()
      }
    }
    const record = vaultRecordOf(settings())
    const seen: VaultRecordStatus[] = []
    const watch = new VaultRecordWatch(() => checkVaultRecord({ record, keychain: osKeychain() }), {
      firstAfterMs: 10,
      everyMs: 200,
    })
    watch.onChange((status) => seen.push(status))
    watch.start()
    try {
      await expect.poll(() => watch.latest()?.state).toBe('ok')

      // A stranger with the id from a sidecar guesses twice: the owner is told, and verify resets.
      await loginStart(unspaced.url, recordId, 'guess 1')
      await loginStart(unspaced.url, recordId, 'guess 2')
      await expect.poll(() => watch.latest()?.state).toBe('guessed')
      expect(watch.latest()).toMatchObject({ action: 'confirm-password', guessesUsed: 2 })
      const guessed = await runCli(['vault', 'status', '--profile', profile.dir, '--json'])
      expect(guessed.code).toBe(0)
      expect(JSON.parse(guessed.stdout)).toMatchObject({ state: 'guessed', guessesUsed: 2 })
      const verified = await runCli(
        ['vault', 'verify', '--profile', profile.dir, '--password-stdin'],
        { input: 'first password\n' },
      )
      expect(verified.stderr).toBe('')
      expect(verified.stdout).toMatch(/password works.*back to zero/)
      await expect.poll(() => watch.latest()?.state).toBe('ok')

      // Then burns it.
      await burn(unspaced.url, recordId)
      await expect.poll(() => watch.latest()?.state).toBe('destroyed')
      expect(watch.latest()).toMatchObject({ action: 'set-new-password', recordId })
      expect(watch.latest()?.message).toMatch(
        /destroyed after too many wrong passwords.*backups are safe.*cairn vault register/,
      )
      // Told once per change (a burn shows its wrong passwords on the way).
      const states = seen.map((s) => s.state).filter((s, i, all) => s !== all[i - 1])
      expect(states.slice(0, 3)).toEqual(['ok', 'guessed', 'ok'])
      expect(states[states.length - 1]).toBe('destroyed')
    } finally {
      await watch.stop()
    }
    const gone = await runCli(['vault', 'status', '--profile', profile.dir])
    expect(gone.code).toBe(1)
    expect(gone.stdout).toMatch(/destroyed.*Set a new vault password \(cairn vault register/)

    // The key is still on this computer: register again, with a new password.
    const again = await runCli(
      ['vault', 'register', '--profile', profile.dir, '--vault', unspaced.url, '--password-stdin'],
      { input: 'second password\n' },
    )
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`It replaces the record ${recordId}`)
    const newId = /Vault record: ([0-9a-f]{32})/.exec(again.stdout)?.[1] as string
    expect(newId).not.toBe(recordId)
    expect((await runCli(['vault', 'status', '--profile', profile.dir])).code).toBe(0)
    const printed = await runCli(
      [
        'vault',
        'recover',
        '--vault',
        unspaced.url,
        '--id',
        newId,
        '--print',
        '--json',
        '--password-stdin',
      ],
      { input: 'second password\n' },
    )
    expect(JSON.parse(printed.stdout)).toMatchObject({ fingerprint })
  })

  it('says when it cannot check: no key on this computer, or a record it does not know', async () => {
    const key = backupKeyFromSecret(randomBytes(32))
    const record = {
      url: unspaced.url,
      recordId: randomBytes(16).toString('hex'),
      fingerprint: key.fingerprint,
    }
    const noKey = await checkVaultRecord({ record, keychain: osKeychain() })
    expect(noKey).toMatchObject({ state: 'no-key', action: 'put-key-back' })
    const missing = await checkVaultRecord({ record, keychain: osKeychain(), key })
    expect(missing).toMatchObject({ state: 'missing', action: 'set-new-password' })
    const none = await checkVaultRecord({ record: null, keychain: osKeychain() })
    expect(none.state).toBe('not-in-vault')
    const keyFile = join(mkdtempSync(join(tmpdir(), 'cairn-key-')), 'key.txt')
    writeFileSync(keyFile, formatKeyHex(key.secret), { mode: 0o600 })
    const profile = await makeProfile({ messages: 1 })
    const cli = await runCli([
      'vault',
      'status',
      '--profile',
      profile.dir,
      '--vault',
      unspaced.url,
      '--id',
      record.recordId,
      '--key-file',
      keyFile,
      '--json',
    ])
    expect(cli.code).toBe(1)
    expect(JSON.parse(cli.stdout)).toMatchObject({ state: 'missing' })
  })
})
