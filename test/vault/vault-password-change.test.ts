import { client as opaqueClient, ready } from '@serenity-kit/opaque'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { candidateRegistration } from '../support/opaque-attack'
import { FAST_KSF, fastClient, post } from '../support/vault-client'
import { usePostgres } from '../support/postgres'
import { devNodeEnv, startVaultNode, type VaultNode } from '../support/vault'

// A password change must end what the old password could still do: a login it started
// and the authorisations its logins were given.

const stores = ['sqlite', 'postgres'] as const
const nodes = {} as Record<(typeof stores)[number], VaultNode>
let database: Awaited<ReturnType<typeof usePostgres>> | undefined

beforeAll(async () => {
  await ready
  const dir = () => mkdtempSync(join(tmpdir(), 'cairn-vault-passwd-'))
  database = await usePostgres()
  nodes.sqlite = await startVaultNode(devNodeEnv(dir()))
  nodes.postgres = await startVaultNode(devNodeEnv(dir(), { CAIRN_VAULT_DATABASE: database.url }))
}, 120_000)
afterAll(async () => {
  await Promise.all(Object.values(nodes).map((n) => n.stop().catch(() => undefined)))
  await database?.stop()
})

/** A login with `password` up to (not including) its finish: what an attacker would hold back. */
async function startedLogin(node: VaultNode, id: string, password: string) {
  const start = opaqueClient.startLogin({ password })
  const login = await post(node.url, '/v1/login/start', {
    recordId: id,
    startLoginRequest: start.startLoginRequest,
  })
  expect(login.status).toBe(200)
  const finished = opaqueClient.finishLogin({
    clientLoginState: start.clientLoginState,
    loginResponse: String(login.body.loginResponse),
    password,
    keyStretching: FAST_KSF,
  })
  expect(finished).toBeDefined()
  return { loginId: login.body.loginId, finishLoginRequest: finished?.finishLoginRequest }
}

describe.each(stores)('changing the password (%s)', (store) => {
  it('a login the old password started, and the tokens its logins got, are no use once the password changed', async () => {
    const node = nodes[store]
    const client = fastClient(node.url)
    const key = randomBytes(32)
    const id = await client.register('the old password', key)

    // Someone who knows the old password: one login finished (a token), one held back.
    const done = await post(
      node.url,
      '/v1/login/finish',
      await startedLogin(node, id, 'the old password'),
    )
    expect(done.status).toBe(200)
    const oldToken = String(done.body.authToken)
    const heldBack = await startedLogin(node, id, 'the old password')

    // The owner changes the password.
    await client.changePassword(id, 'the old password', 'the new password')

    // The held-back login no longer verifies: the old password proves nothing now.
    const late = await post(node.url, '/v1/login/finish', heldBack)
    expect(late.status).toBe(401)
    expect(late.body.authToken).toBeUndefined()

    // The old token neither opens a registration for the record (an uncounted evaluation of
    // its OPRF: an offline test of the new password) nor deletes it.
    const { registrationRequest } = await candidateRegistration('a guess at the new password')
    const change = await post(node.url, '/v1/register/start', {
      recordId: id,
      registrationRequest,
      authToken: oldToken,
    })
    expect(change.status).toBe(403)
    expect(change.body.registrationResponse).toBeUndefined()
    expect((await post(node.url, '/v1/delete', { recordId: id, authToken: oldToken })).status).toBe(
      403,
    )

    // The new password works, and only it.
    expect(Buffer.from(await client.recover(id, 'the new password')).equals(key)).toBe(true)
  })
})
