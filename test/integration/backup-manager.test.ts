/**
 * The backup manager behind the settings screen, against real profiles,
 * folders, the real keychain and the built workers: destinations checked
 * before anything is saved or made, key custody (written down, keychain),
 * history (verify, delete), and backups that survive the settings being
 * changed while they run.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  readBackupSettings,
  setBackupKey,
  writeBackupSettings,
} from '../../main/backup/backup-settings'
import { loadKeyFromKeychain } from '../../main/backup/custody'
import { BackupManager } from '../../main/backup/manager/backup-manager'
import { defaultBackupDir, documentsDir } from '../../main/backup/manager/default-folder'
import { KeyCustody } from '../../main/backup/manager/key-custody'
import { RecentBackupFolders } from '../../main/backup/manager/recent-folders'
import { readBackupUiState } from '../../main/backup/manager/ui-state'
import { formatKeyAge, generateBackupKey } from '../../main/backup/key/backup-key'
import { writeFileAtomicSync } from '../../main/shared/atomic-file'
import { runBackup } from '../../main/backup/run-backup'
import { osKeychain } from '../../main/keychain/keychain'
import { openProfile, type Profile } from '../../main/profile/profile'
import { openServices, type CairnServices } from '../../main/services'
import { isCairnError } from '../../main/shared/errors'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { useRealKeychain } from '../support/keyring'
import { mountTmpfs } from '../support/mounts'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let keyring: { stop: () => void }
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

/** Every path under `dir` with its size: a folder "unchanged" is one whose listing is equal. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return ['(none)']
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((p) => `${p}:${statSync(join(dir, p)).isFile() ? statSync(join(dir, p)).size : 'dir'}`)
}

function manager(services: CairnServices, env: NodeJS.ProcessEnv = {}) {
  return new BackupManager({
    profile: services.profile,
    scheduler: services.backups,
    vaultRecord: services.vaultRecord,
    keychain: osKeychain(),
    env,
    folders: { env },
    recent: new RecentBackupFolders(join(tempDir(), 'recent.json')),
    hasMail: async () => true,
  })
}

async function errorOf(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

describe('a backup while the settings change', () => {
  it('is not stopped by settings.json being replaced (as the settings screens do); it carries the settings as they were', async () => {
    const profile = await makeProfile({ messages: 4 })
    const { key } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const before = readFileSync(join(profile.dir, 'settings.json'), 'utf8')
    const result = await runBackup({
      profileDir: profile.dir,
      destination: dest,
      recipient: key.recipient,
      keyFingerprint: key.fingerprint,
      profileId: profile.id,
      onStep: (step) => {
        if (step !== 'hashed') return
        // What the settings screens do: the file is replaced by an atomic rename.
        const settings = JSON.parse(
          readFileSync(join(profile.dir, 'settings.json'), 'utf8'),
        ) as object
        writeFileAtomicSync(
          join(profile.dir, 'settings.json'),
          JSON.stringify({ ...settings, backupUi: { lastErrorCode: 'X' } }),
        )
      },
    }).catch((error: unknown) => error)
    expect(isCairnError(result), String(result)).toBe(false)
    const out = tempDir()
    execFileSync(
      'bash',
      [
        '-c',
        `age -d -i <(printf '%s\\n' "$KEY") "${(result as { path: string }).path}" | zstd -dq | tar -x -C "${out}"`,
      ],
      { env: { ...process.env, KEY: formatKeyAge(key.secret) } },
    )
    expect(readFileSync(join(out, 'settings.json'), 'utf8')).toBe(before)
  })
})

describe('where backups go', () => {
  it('offers the default folder (CAIRN_BACKUP_DIR, else Documents/Cairn Backups) and makes it, private, when chosen', async () => {
    const home = tempDir()
    expect(defaultBackupDir({ env: {}, home, platform: 'linux' })).toBe(
      join(home, 'Documents', 'Cairn Backups'),
    )
    // A desktop that renamed Documents (XDG user dirs) is followed.
    mkdirSync(join(home, '.config'))
    writeFileSync(join(home, '.config', 'user-dirs.dirs'), 'XDG_DOCUMENTS_DIR="$HOME/Dokumente"\n')
    expect(documentsDir({ env: {}, home, platform: 'linux' })).toBe(join(home, 'Dokumente'))
    expect(defaultBackupDir({ env: { CAIRN_BACKUP_DIR: '/srv/backups' }, home })).toBe(
      '/srv/backups',
    )
    expect(defaultBackupDir({ env: {}, home, platform: 'darwin' })).toBe(
      join(home, 'Documents', 'Cairn Backups'),
    )

    const profile = await makeProfile({ messages: 1 })
    setUpBackupKey(profile.dir)
    const services = openServices(profile.dir)
    const chosen = join(home, 'Dokumente', 'Cairn Backups')
    const m = manager(services, { CAIRN_BACKUP_DIR: chosen })
    expect(m.settingsView().defaultFolder).toBe(chosen)
    // Switching automatic backups on without a folder uses the default one.
    m.configure({ schedule: { kind: 'daily', time: '02:00' } })
    expect(readBackupSettings(services.profile)?.destination).toBe(chosen)
    expect(statSync(chosen).mode & 0o777).toBe(0o700)
    expect(readBackupUiState(services.profile).scheduleSince).not.toBeNull()
    m.close()
    await services.close()
  })

  it('refuses, changing nothing, a relative path, a folder inside the profile, a file, and a read-only disk', async () => {
    const profile = await makeProfile({ messages: 1 })
    setUpBackupKey(profile.dir)
    const s = openServices(profile.dir)
    try {
      const m = manager(s)
      const settingsBefore = readFileSync(join(profile.dir, 'settings.json'), 'utf8')
      const readOnly = mountTmpfs({ readOnly: true })
      const file = join(tempDir(), 'a-file')
      writeFileSync(file, 'x')
      const cases: [string, RegExp][] = [
        ['backups', /not a full folder path/],
        [join(profile.dir, 'backups'), /inside the profile folder/],
        [file, /is a file, not a folder/],
        [join(file, 'sub'), /is a file, not a folder/],
        [join(readOnly, 'Cairn Backups'), /read-only or you lack permission/],
      ]
      for (const [path, message] of cases) {
        const before = listing(readOnly)
        for (const attempt of [
          () => m.checkDestination({ kind: 'folder', path }),
          () => m.configure({ destination: { kind: 'folder', path } }),
        ]) {
          const error = await errorOf(attempt)
          expect((error as Error).message, path).toMatch(message)
        }
        expect(listing(readOnly)).toEqual(before)
        expect(existsSync(join(profile.dir, 'backups'))).toBe(false)
      }
      expect(readFileSync(join(profile.dir, 'settings.json'), 'utf8')).toBe(settingsBefore)
      m.close()
    } finally {
      await s.close()
    }
  })
})

describe('the key, as the settings screen keeps it', () => {
  let profile: Profile
  let custody: KeyCustody
  beforeEach(async () => {
    const made = await makeProfile({ messages: 1 })
    profile = openProfile(made.dir)
    custody = new KeyCustody({ profile, keychain: osKeychain(), env: {} })
  })
  afterEach(() => profile.close())

  it('a new key written down is saved only once the asked groups are typed back', () => {
    const shown = custody.reveal({ newKey: true })
    expect(shown.groups).toHaveLength(16)
    expect(shown.challenge).toHaveLength(2)
    expect(shown.sheet.groups).toEqual(shown.groups)
    const wrong = shown.challenge.map((g) => (shown.groups[g - 1] === '0000' ? '1111' : '0000'))
    const error = (() => {
      try {
        custody.confirmWrittenDown({
          pendingId: shown.pendingId,
          answers: wrong,
          keepInKeychain: false,
        })
      } catch (e) {
        return e
      }
    })()
    expect(isCairnError(error, 'KEY_MISMATCH')).toBe(true)
    expect((error as Error).message).toMatch(/Nothing was saved yet/)
    expect(readBackupSettings(profile)).toBeNull()
    const answers = shown.challenge.map((g) => (shown.groups[g - 1] as string).toUpperCase())
    const done = custody.confirmWrittenDown({
      pendingId: shown.pendingId,
      answers,
      keepInKeychain: false,
    })
    expect(done.custody).toBe('user')
    expect(readBackupSettings(profile)?.fingerprint).toBe(shown.fingerprint)
    // Kept by the user alone: not in the keychain, and it cannot be shown again.
    expect(loadKeyFromKeychain(osKeychain(), shown.fingerprint)).toBeNull()
    expect(() => custody.reveal({ newKey: false })).toThrow(/shown once when it was made/)
    expect(custody.view(null)).toMatchObject({
      custody: 'user',
      writtenDown: true,
      inKeychain: false,
    })
  })

  it('a new key in the keychain; written down later; a new key keeps the old one in the keychain', () => {
    const { fingerprint } = custody.createInKeychain()
    expect(custody.view(null)).toMatchObject({
      custody: 'keychain',
      inKeychain: true,
      writtenDown: false,
    })
    const shown = custody.reveal({ newKey: false })
    expect(shown.fingerprint).toBe(fingerprint)
    custody.confirmWrittenDown({
      pendingId: shown.pendingId,
      answers: shown.challenge.map((g) => shown.groups[g - 1] as string),
      keepInKeychain: true,
    })
    expect(custody.view(null)).toMatchObject({ custody: 'keychain', writtenDown: true })
    const next = custody.createInKeychain()
    expect(next.fingerprint).not.toBe(fingerprint)
    expect(custody.view(null).writtenDown).toBe(false) // a new key needs writing down again
    expect(loadKeyFromKeychain(osKeychain(), fingerprint)).not.toBeNull() // older backups still open here
    expect(custody.sheet().fingerprint).toBe(next.fingerprint)
  })

  it('refuses a short vault password and a plain-http vault elsewhere before anything is sent', async () => {
    await expect(
      custody.setUpVault({ url: 'https://vault.example', password: 'short', newKey: false }),
    ).rejects.toThrow(/at least 8 characters/)
    await expect(
      custody.setUpVault({
        url: 'http://vault.example',
        password: 'long enough words',
        newKey: false,
      }),
    ).rejects.toThrow(/plain http:\/\//)
  })
})

describe('the history in the backup folder', () => {
  it('lists backups newest first, verifies them with and without the key, and deletes one', async () => {
    const profile = await makeProfile({ messages: 3 })
    const key = generateBackupKey()
    const p = openProfile(profile.dir)
    setBackupKey(p, key, 'user')
    const dest = tempDir()
    writeBackupSettings(p, (s) => s && { ...s, destination: dest })
    p.close()
    for (let i = 0; i < 2; i++) {
      await runBackup({
        profileDir: profile.dir,
        destination: dest,
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        now: () => new Date(Date.UTC(2026, 2, 10 + i)),
        // Two full backups: either can be deleted alone (a chain's link cannot; backup-chains tests that).
        full: true,
      })
    }
    // Someone else's file and a damaged copy sit beside them.
    writeFileSync(join(dest, 'notes.txt'), 'not a backup')
    const s = openServices(profile.dir)
    try {
      const m = manager(s)
      const history = await m.history()
      expect(history.map((h) => h.createdAt)).toEqual([
        '2026-03-11T00:00:00.000Z',
        '2026-03-10T00:00:00.000Z',
      ])
      expect(history.every((h) => h.thisProfile && h.currentKey && h.state === 'complete')).toBe(
        true,
      )
      const [newest, oldest] = history as [(typeof history)[0], (typeof history)[0]]
      expect((await m.verify(newest.name, { source: 'none' })).message).toMatch(/^Intact/)
      // The key is not in the keychain (kept by the user): the screen asks for the digits.
      const missing = await errorOf(() => m.verify(newest.name, { source: 'keychain' }))
      expect(isCairnError(missing, 'KEY_MISSING')).toBe(true)
      const hex = Buffer.from(key.secret).toString('hex')
      expect((await m.verify(newest.name, { source: 'digits', text: hex })).message).toMatch(
        /^Restorable: .* holds 3 messages/,
      )
      const wrong = await errorOf(() =>
        m.verify(newest.name, {
          source: 'digits',
          text: generateBackupKey().recipient.slice(0, 10),
        }),
      )
      expect(isCairnError(wrong, 'KEY_MALFORMED')).toBe(true)
      // A damaged backup is said so.
      const bytes = readFileSync(oldest.location)
      const at = bytes.length - 100
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at)
      writeFileSync(oldest.location, bytes)
      expect(
        (await errorOf(() => m.verify(oldest.name, { source: 'none' }))) as Error,
      ).toHaveProperty('code', 'BACKUP_CORRUPT')
      await m.delete(oldest.name)
      expect(backupFiles(dest)).toEqual([newest.location])
      expect(existsSync(`${oldest.location}.json`)).toBe(false)
      expect(existsSync(join(dest, 'notes.txt'))).toBe(true)
      await expect(m.delete('../notes.txt')).rejects.toThrow(/not a Cairn backup name/)
      expect(await m.health()).toMatchObject({ lastBackup: { name: newest.name } })
      m.close()
    } finally {
      await s.close()
    }
  })
})
