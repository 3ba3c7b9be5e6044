import { client as opaqueClient, ready } from '@serenity-kit/opaque'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCairnError } from '../../main/shared/errors'
import { candidateRegistration, confirmsPassword } from '../support/opaque-attack'
import { FAST_KSF, fastClient, loginStart, post } from '../support/vault-client'
import { devNodeEnv, sqliteGuesses, startVaultNode, type VaultNode } from '../support/vault'

// Issue 8, points 1 and 3: registration can neither test passwords against an existing
// record nor tell which ids exist, and it stores only well-formed OPAQUE records.

let node: VaultNode
let dataDir: string
const RIGHT = 'the right password'

beforeAll(async () => {
  await ready
  dataDir = mkdtempSync(join(tmpdir(), 'cairn-vault-registration-'))
  node = await startVaultNode(devNodeEnv(dataDir))
})
afterAll(async () => {
  await node?.stop()
})

const guessesOf = (id: string) => sqliteGuesses(join(dataDir, 'vault.sqlite'), id)
const recordCount = () => {
  const db = new Database(join(dataDir, 'vault.sqlite'), { readonly: true })
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM vault_records').get() as { n: number }).n
  } finally {
    db.close()
  }
}

/** Burn a record: wrong login starts until the vault says it is destroyed. */
async function burn(id: string): Promise<void> {
  for (let i = 0; i < 12; i++) {
    if ((await loginStart(node.url, id, `burn ${i}`)).status === 410) return
  }
  throw new Error('the record was not destroyed')
}

describe('the guess limit cannot be bypassed through registration (point 1)', () => {
  it("the review's attack: one counted login start, then 40 registration starts for the record with candidate passwords: the right one is never confirmed, and the count is honest", async () => {
    const id = await fastClient(node.url).register(RIGHT, randomBytes(32))
    const login = await loginStart(node.url, id, 'a first guess')
    expect(login.status).toBe(200)
    expect(guessesOf(id)).toBe(1)

    const candidates = [...Array.from({ length: 39 }, (_, i) => `candidate ${i}`), RIGHT]
    const confirmed: string[] = []
    const evaluated: Record<string, number> = {}
    for (const password of candidates) {
      const { registrationRequest, clientRegistrationState } = await candidateRegistration(password)
      const attempts = {
        // As the review sent it: a registration start naming the record.
        'aimed at the record': { recordId: id, registrationRequest },
        // With a made-up authorisation.
        'with a forged token': {
          recordId: id,
          registrationRequest,
          authToken: randomBytes(32).toString('base64url'),
        },
        // A new registration: the vault picks the id, so it evaluates another key.
        'a new registration': { registrationRequest },
      }
      for (const [how, body] of Object.entries(attempts)) {
        const answer = await post(node.url, '/v1/register/start', body)
        if (answer.status !== 200) continue
        evaluated[how] = (evaluated[how] ?? 0) + 1
        if (
          confirmsPassword({
            loginResponse: String(login.body.loginResponse),
            registrationResponse: String(answer.body.registrationResponse),
            clientRegistrationState,
            password,
            keyStretching: FAST_KSF,
          })
        )
          confirmed.push(`${password} (${how})`)
      }
    }
    expect(confirmed).toEqual([])
    // Nothing aimed at the record was evaluated; only fresh registrations were answered.
    expect(evaluated).toEqual({ 'a new registration': 40 })
    // One login start, one counted guess: the only evaluation of this record's OPRF.
    expect(guessesOf(id)).toBe(1)
    // The record is untouched: the right password still works, and resets the count.
    expect(Buffer.from(await fastClient(node.url).recover(id, RIGHT)).length).toBe(32)
    expect(guessesOf(id)).toBe(0)
  })

  it('the same computation does confirm the password when the vault evaluates the record (the attack is real; only a verified login may ask)', async () => {
    const id = await fastClient(node.url).register(RIGHT, randomBytes(32))
    // The owner's verified login gives a one-time token, as a password change uses.
    await ready
    const start = opaqueClient.startLogin({ password: RIGHT })
    const login = await post(node.url, '/v1/login/start', {
      recordId: id,
      startLoginRequest: start.startLoginRequest,
    })
    const finished = opaqueClient.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: String(login.body.loginResponse),
      password: RIGHT,
      keyStretching: FAST_KSF,
    })
    expect(finished).toBeDefined()
    const done = await post(node.url, '/v1/login/finish', {
      loginId: login.body.loginId,
      finishLoginRequest: finished?.finishLoginRequest,
    })
    expect(done.status).toBe(200)
    const { registrationRequest, clientRegistrationState } = await candidateRegistration(RIGHT)
    const change = await post(node.url, '/v1/register/start', {
      recordId: id,
      registrationRequest,
      authToken: done.body.authToken,
    })
    expect(change.status).toBe(200)
    expect(change.body.recordId).toBe(id)
    expect(
      confirmsPassword({
        loginResponse: String(login.body.loginResponse),
        registrationResponse: String(change.body.registrationResponse),
        clientRegistrationState,
        password: RIGHT,
        keyStretching: FAST_KSF,
      }),
    ).toBe(true)
  })

  it('a new registration gets an id the vault chose, and a password change keeps the id', async () => {
    const client = fastClient(node.url)
    const key = randomBytes(32)
    const ids = await Promise.all([client.register('one', key), client.register('two', key)])
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/)
    expect(ids[0]).not.toBe(ids[1])
    await client.changePassword(ids[0] as string, 'one', 'three')
    expect(Buffer.from(await client.recover(ids[0] as string, 'three')).equals(key)).toBe(true)
  })
})

describe('registration tells nothing about ids and stores only valid records (point 3)', () => {
  /** A registration finish that is well-formed in every field, for `recordId`. */
  const wellFormed = async (recordId: string, ticket: string) => {
    await ready
    const reg = opaqueClient.startRegistration({ password: 'pw' })
    const started = await post(node.url, '/v1/register/start', {
      registrationRequest: reg.registrationRequest,
    })
    const record = opaqueClient.finishRegistration({
      password: 'pw',
      registrationResponse: String(started.body.registrationResponse),
      clientRegistrationState: reg.clientRegistrationState,
      keyStretching: FAST_KSF,
    }).registrationRecord
    return {
      recordId,
      ticket,
      registrationRecord: record,
      wrappedKey: randomBytes(60).toString('base64'),
      statusToken: randomBytes(32).toString('base64url'),
      maxGuesses: 10,
    }
  }

  it('a known, a destroyed and an unknown id get the same answer to a registration finish the vault did not start', async () => {
    const client = fastClient(node.url)
    const known = await client.register('pw', randomBytes(32))
    const destroyed = await client.register('pw', randomBytes(32))
    await burn(destroyed)
    const unknown = randomBytes(16).toString('hex')
    const before = recordCount()
    // A ticket the vault issued, but for another id.
    const other = await post(node.url, '/v1/register/start', {
      registrationRequest: (await candidateRegistration('x')).registrationRequest,
    })
    for (const shape of [
      'as the review sent it',
      'with a forged ticket',
      "with another id's ticket",
    ]) {
      const answers = []
      for (const id of [known, destroyed, unknown]) {
        const body = await wellFormed(id, String(other.body.ticket))
        if (shape === 'as the review sent it') {
          const { ticket: _ticket, statusToken: _token, ...old } = body
          answers.push(await post(node.url, '/v1/register/finish', old))
        } else if (shape === 'with a forged ticket') {
          answers.push(
            await post(node.url, '/v1/register/finish', {
              ...body,
              ticket: randomBytes(60).toString('base64url'),
            }),
          )
        } else {
          answers.push(await post(node.url, '/v1/register/finish', body))
        }
      }
      expect(
        answers.map((a) => a.status),
        shape,
      ).toEqual(Array(3).fill(answers[0]?.status ?? 0))
      expect(answers[0]?.status, shape).toBeGreaterThanOrEqual(400)
      expect(new Set(answers.map((a) => JSON.stringify(a.body))).size, shape).toBe(1)
    }
    expect(recordCount()).toBe(before) // nothing was stored for the unknown id
  })

  it('refuses registration records, keys and tokens of the wrong size, encoding or content, and stores nothing', async () => {
    const { registrationRequest } = await candidateRegistration('pw')
    const started = await post(node.url, '/v1/register/start', { registrationRequest })
    expect(started.status).toBe(200)
    const id = String(started.body.recordId)
    const good = await wellFormed(id, String(started.body.ticket))
    const record = Buffer.from(good.registrationRecord, 'base64url')
    const bad: Record<string, Record<string, unknown>> = {
      'a record one byte short': {
        registrationRecord: record.subarray(0, 191).toString('base64url'),
      },
      'a record with a character outside base64url': {
        registrationRecord: `${good.registrationRecord.slice(0, -1)}+`,
      },
      'a record with padding': { registrationRecord: `${good.registrationRecord}==` },
      'a record whose public key is the identity': {
        registrationRecord: Buffer.concat([Buffer.alloc(32), record.subarray(32)]).toString(
          'base64url',
        ),
      },
      'a record whose public key is not a point': {
        registrationRecord: Buffer.concat([Buffer.alloc(32, 0xff), record.subarray(32)]).toString(
          'base64url',
        ),
      },
      'a wrapped key of 59 bytes': { wrappedKey: randomBytes(59).toString('base64') },
      'a wrapped key in base64url': {
        wrappedKey: Buffer.alloc(60, 0xfb).toString('base64url'),
      },
      'a status token of 31 bytes': { statusToken: randomBytes(31).toString('base64url') },
      'a status token in non-canonical base64url': {
        statusToken: `${Buffer.alloc(32).toString('base64url').slice(0, -1)}B`,
      },
      'a guess limit of 11': { maxGuesses: 11 },
    }
    for (const [what, change] of Object.entries(bad)) {
      const answer = await post(node.url, '/v1/register/finish', { ...good, ...change })
      expect(answer.status, what).toBe(400)
      expect(answer.body.error, what).toBe('invalid_request')
    }
    expect(guessesOf(id)).toBeNull() // nothing was stored
    // The same ticket with a valid record: it was never the ticket that was refused.
    const accepted = await post(node.url, '/v1/register/finish', good)
    expect(accepted.status).toBe(201)
    expect(guessesOf(id)).toBe(0)
    // And a finished registration cannot be finished twice.
    expect((await post(node.url, '/v1/register/finish', good)).status).toBe(409)
  })

  it('checks the size and encoding of login messages before counting anything', async () => {
    const id = await fastClient(node.url).register('pw', randomBytes(32))
    await ready
    const ke1 = Buffer.from(
      opaqueClient.startLogin({ password: 'pw' }).startLoginRequest,
      'base64url',
    )
    for (const startLoginRequest of [
      ke1.subarray(0, 95).toString('base64url'),
      Buffer.concat([ke1, Buffer.alloc(1)]).toString('base64url'),
      // standard base64's alphabet, not base64url's (a random ke1 may encode without any '+' or '/')
      `${ke1.toString('base64url').slice(0, -1)}+`,
      'A'.repeat(40),
    ]) {
      const answer = await post(node.url, '/v1/login/start', { recordId: id, startLoginRequest })
      expect(answer.status).toBe(400)
    }
    expect(guessesOf(id)).toBe(0)
    // A malformed finish is refused without using up the login it names.
    const start = opaqueClient.startLogin({ password: 'pw' })
    const login = await post(node.url, '/v1/login/start', {
      recordId: id,
      startLoginRequest: start.startLoginRequest,
    })
    const finish = opaqueClient.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: String(login.body.loginResponse),
      password: 'pw',
      keyStretching: FAST_KSF,
    })
    const short = Buffer.from(finish?.finishLoginRequest ?? '', 'base64url').subarray(0, 63)
    expect(
      (
        await post(node.url, '/v1/login/finish', {
          loginId: login.body.loginId,
          finishLoginRequest: short.toString('base64url'),
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await post(node.url, '/v1/login/finish', {
          loginId: login.body.loginId,
          finishLoginRequest: finish?.finishLoginRequest,
        })
      ).status,
    ).toBe(200)
  })

  it('a registration for a destroyed record gets the "destroyed" answer a login gets', async () => {
    const client = fastClient(node.url)
    const id = await client.register(RIGHT, randomBytes(32))
    // A password change begun after a verified login; the record is burnt before it finishes.
    await ready
    const start = opaqueClient.startLogin({ password: RIGHT })
    const login = await post(node.url, '/v1/login/start', {
      recordId: id,
      startLoginRequest: start.startLoginRequest,
    })
    const finished = opaqueClient.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: String(login.body.loginResponse),
      password: RIGHT,
      keyStretching: FAST_KSF,
    })
    const done = await post(node.url, '/v1/login/finish', {
      loginId: login.body.loginId,
      finishLoginRequest: finished?.finishLoginRequest,
    })
    const authToken = String(done.body.authToken)
    const reg = opaqueClient.startRegistration({ password: 'new' })
    const change = await post(node.url, '/v1/register/start', {
      recordId: id,
      registrationRequest: reg.registrationRequest,
      authToken,
    })
    expect(change.status).toBe(200)
    await burn(id)
    const loginAnswer = await loginStart(node.url, id, RIGHT)
    expect(loginAnswer.status).toBe(410)
    const record = opaqueClient.finishRegistration({
      password: 'new',
      registrationResponse: String(change.body.registrationResponse),
      clientRegistrationState: reg.clientRegistrationState,
      keyStretching: FAST_KSF,
    }).registrationRecord
    const finish = await post(node.url, '/v1/register/finish', {
      recordId: id,
      ticket: change.body.ticket,
      registrationRecord: record,
      wrappedKey: randomBytes(60).toString('base64'),
      statusToken: randomBytes(32).toString('base64url'),
      maxGuesses: 10,
      authToken,
    })
    const again = await post(node.url, '/v1/register/start', {
      recordId: id,
      registrationRequest: reg.registrationRequest,
      authToken,
    })
    for (const answer of [finish, again]) {
      expect(answer.status).toBe(loginAnswer.status)
      expect(answer.body.error).toBe(loginAnswer.body.error)
      expect(answer.body.error).toBe('record_destroyed')
    }
    // The client says so in its own words.
    const error = await client.changePassword(id, RIGHT, 'x').catch((e: unknown) => e)
    expect(isCairnError(error, 'VAULT_KEY_DESTROYED')).toBe(true)
  })
})
