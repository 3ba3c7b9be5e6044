import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeyFromKeychain } from '../../main/backup/custody'
import { osKeychain } from '../../main/keychain/keychain'
import { backupFiles, messageCount } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { useRealKeychain } from '../support/keyring'
import { freePort } from '../support/postgres'
import { makeProfile } from '../support/profiles'
import { initSoftHsm, type SoftHsm } from '../support/softhsm'
import { tempDir } from '../support/temp'
import { startVaultNode, type VaultNode } from '../support/vault'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let hsm: SoftHsm
let node: VaultNode

beforeAll(async () => {
  keyring = await useRealKeychain()
  hsm = initSoftHsm()
  node = await startVaultNode({
    ...hsm.env,
    CAIRN_VAULT_DATABASE: `sqlite:${join(tempDir(), 'vault.sqlite')}`,
    CAIRN_VAULT_PKCS11_MODULE: hsm.module,
    CAIRN_VAULT_PKCS11_TOKEN: hsm.tokenLabel,
    CAIRN_VAULT_PKCS11_PIN: hsm.pin,
    CAIRN_VAULT_PKCS11_CREATE_KEY: '1',
  })
})
afterAll(async () => {
  await node?.stop()
  hsm?.remove()
  keyring?.stop()
})

describe('cairn vault', () => {
  it('password instead of 64 digits: register → lose everything → recover with id and password → restore', async () => {
    const profile = await makeProfile({ messages: 9 })
    expect((await runCli(['key', 'create', '--profile', profile.dir])).code).toBe(0)
    const sheet = join(tempDir(), 'sheet.html')
    const registered = await runCli(
      [
        'vault',
        'register',
        '--profile',
        profile.dir,
        '--vault',
        node.url,
        '--password-stdin',
        '--sheet',
        sheet,
        '--json',
      ],
      {
        input: 'a long vault password\n',
      },
    )
    expect(registered.stderr).toBe('')
    expect(registered.code).toBe(0)
    const { recordId, fingerprint } = JSON.parse(registered.stdout)
    expect(recordId).toMatch(/^[0-9a-f]{32}$/)
    const shown = JSON.parse(
      (await runCli(['key', 'show', '--profile', profile.dir, '--json'])).stdout,
    )
    expect(shown).toMatchObject({ custody: 'vault', vault: { url: node.url, recordId } })

    const dest = tempDir()
    expect((await runCli(['backup', '--profile', profile.dir, '--to', dest])).code).toBe(0)
    // A new laptop: no profile, no keychain entry; only the backup, the record id and the password.
    rmSync(profile.dir, { recursive: true, force: true })
    deleteKeyFromKeychain(osKeychain(), fingerprint)
    const wrong = await runCli(
      [
        'vault',
        'recover',
        '--vault',
        node.url,
        '--id',
        recordId,
        '--profile',
        profile.dir,
        '--password-stdin',
      ],
      {
        input: 'not the password\n',
      },
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/Wrong password/)
    const recovered = await runCli(
      [
        'vault',
        'recover',
        '--vault',
        node.url,
        '--id',
        recordId,
        '--profile',
        profile.dir,
        '--password-stdin',
      ],
      {
        input: 'a long vault password\n',
      },
    )
    expect(recovered.code).toBe(0)
    expect(recovered.stdout).toContain(fingerprint)
    const restored = await runCli([
      'restore',
      backupFiles(dest)[0] as string,
      '--profile',
      profile.dir,
    ])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(profile.dir)).toBe(9)
  })

  it('changes the password and deletes the record', async () => {
    const profile = await makeProfile({ messages: 1 })
    await runCli(['key', 'create', '--profile', profile.dir])
    const { recordId } = JSON.parse(
      (
        await runCli(
          [
            'vault',
            'register',
            '--profile',
            profile.dir,
            '--vault',
            node.url,
            '--password-stdin',
            '--json',
          ],
          { input: 'first\n' },
        )
      ).stdout,
    )
    const changed = await runCli(
      ['vault', 'passwd', '--profile', profile.dir, '--password-stdin'],
      { input: 'first\nsecond\n' },
    )
    expect(changed.code).toBe(0)
    const printed = await runCli(
      ['vault', 'recover', '--vault', node.url, '--id', recordId, '--print', '--password-stdin'],
      { input: 'second\n' },
    )
    expect(printed.stdout).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}\n$/)
    const deleted = await runCli(
      ['vault', 'delete', '--profile', profile.dir, '--password-stdin'],
      { input: 'second\n' },
    )
    expect(deleted.code).toBe(0)
    const gone = await runCli(
      ['vault', 'recover', '--vault', node.url, '--id', recordId, '--print', '--password-stdin'],
      { input: 'second\n' },
    )
    expect(gone.code).toBe(1)
  })

  it('says when the vault cannot be reached', async () => {
    const port = await freePort()
    const result = await runCli(
      [
        'vault',
        'recover',
        '--vault',
        `http://127.0.0.1:${port}`,
        '--id',
        '0'.repeat(32),
        '--print',
        '--password-stdin',
      ],
      {
        input: 'pw\n',
      },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /Cannot reach the Backup Key Vault at http:\/\/127\.0\.0\.1:\d+ \(nothing answers there\)/,
    )
    const usage = await runCli(['vault', 'recover', '--vault', node.url])
    expect(usage.code).toBe(2)
  })
})
