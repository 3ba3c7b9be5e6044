import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  deleteKeyFromKeychain,
  loadKeyFromKeychain,
  saveKeyToKeychain,
} from '../../main/backup/custody'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { osKeychain } from '../../main/keychain/keychain'
import { useRealKeychain } from '../support/keyring'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('OS keychain (GNOME Keyring over the Secret Service)', () => {
  it('keeps a backup key under its fingerprint and gives it back', () => {
    const store = osKeychain('CairnTest')
    const key = generateBackupKey()
    saveKeyToKeychain(store, key)
    const loaded = loadKeyFromKeychain(store, key.fingerprint)
    expect(loaded?.fingerprint).toBe(key.fingerprint)
    expect(Buffer.from(loaded?.secret ?? []).equals(Buffer.from(key.secret))).toBe(true)
    expect(deleteKeyFromKeychain(store, key.fingerprint)).toBe(true)
    expect(loadKeyFromKeychain(store, key.fingerprint)).toBeNull()
  })

  it('persists in the Secret Service, not only in this process (seen by another process)', () => {
    const key = generateBackupKey()
    saveKeyToKeychain(osKeychain('CairnTest'), key)
    const lookup = spawnSync(
      'secret-tool',
      ['lookup', 'service', 'CairnTest', 'username', `backup-key:${key.fingerprint}`],
      {
        env: process.env,
        encoding: 'utf8',
      },
    )
    expect(lookup.error, 'secret-tool (Debian: libsecret-tools) must be installed').toBeUndefined()
    expect(lookup.stdout.trim()).toBe(Buffer.from(key.secret).toString('hex'))
    deleteKeyFromKeychain(osKeychain('CairnTest'), key.fingerprint)
  })
})
