/**
 * The restore wizard's calls through the contract (what the screens send
 * and get back): backups found in the default folder, and every bad input
 * a user can meet answered with a coded error whose message says what to
 * do, with nothing changed on disk: a folder with no backups, a malformed
 * or wrong key, a damaged backup, a full disk, a folder without write
 * permission, a vault that makes the next try wait. A good restore swaps
 * the profile while the host keeps running, and the renderer's events
 * come from the reopened services.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { setBackupKey, writeBackupSettings } from '../../main/backup/backup-settings'
import { formatKeyHex, generateBackupKey, type BackupKey } from '../../main/backup/key/backup-key'
import { runBackup } from '../../main/backup/run-backup'
import type { Envelope, FoundBackups, PlanView } from '../../main/ipc/contract'
import { createServiceContext, type OwnedServiceContext } from '../../main/ipc/context'
import { ProfileSession } from '../../main/ipc/profile-session'
import { createRouter, type Router } from '../../main/ipc/router'
import { openProfile } from '../../main/profile/profile'
import { openServices } from '../../main/services'
import { VaultClient } from '../../main/vault/client'
import { messageCount } from '../support/backup-fixtures'
import { mountTmpfs, remount } from '../support/mounts'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'
import { devNodeEnv, startVaultNode } from '../support/vault'

interface App {
  session: ProfileSession
  ctx: OwnedServiceContext
  router: Router
  events: { event: string; payload: unknown }[]
}
const open: App[] = []
afterEach(async () => {
  for (const app of open.splice(0)) {
    app.ctx.close()
    await app.session.close()
  }
})

function startApp(profileDir: string, env: NodeJS.ProcessEnv): App {
  const session = new ProfileSession(profileDir, (dir) => openServices(dir))
  const ctx = createServiceContext(session, { env, userDataDir: join(tempDir(), 'user-data') })
  const router = createRouter(ctx, { transport: 'test', log: () => undefined })
  const events: App['events'] = []
  router.subscribe((event, payload) => events.push({ event, payload }))
  const app = { session, ctx, router, events }
  open.push(app)
  return app
}

async function ok<T>(envelope: Promise<Envelope<unknown>>): Promise<T> {
  const answer = await envelope
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`)
  return answer.value as T
}
async function refused(
  envelope: Promise<Envelope<unknown>>,
): Promise<{ code: string; message: string }> {
  const answer = await envelope
  if (answer.ok) throw new Error('expected a refusal')
  return answer.error
}

/** A profile with mail, backed up (key kept by the user) into `folder`. */
async function backedUp(
  folder: string,
  options: {
    messages?: number
    attachmentBytes?: number
    key?: BackupKey
    vault?: { url: string; recordId: string }
  } = {},
) {
  const source = await makeProfile({
    messages: options.messages ?? 8,
    attachmentBytes: options.attachmentBytes,
  })
  const key = options.key ?? generateBackupKey()
  const p = openProfile(source.dir)
  setBackupKey(p, key, options.vault ? 'vault' : 'user', options.vault ?? null)
  writeBackupSettings(p, (s) => s && { ...s, destination: folder })
  p.close()
  mkdirSync(folder, { recursive: true })
  const result = await runBackup({
    profileDir: source.dir,
    destination: folder,
    recipient: key.recipient,
    keyFingerprint: key.fingerprint,
    profileId: source.id,
    vaultId: options.vault?.recordId ?? null,
  })
  return { source, key, file: result.path, hex: formatKeyHex(key.secret) }
}

/** What a restore may not leave behind: the names beside the profile, and the backup folder's bytes. */
function disk(root: string, folder: string): string[] {
  const beside = readdirSync(root).sort()
  const backups = readdirSync(folder)
    .sort()
    .map((n) => `${n}:${statSync(join(folder, n)).size}`)
  return [...beside, '|', ...backups]
}

describe('the restore wizard, through the contract', () => {
  it('finds backups in the default folder by itself; says where it looked when there are none', async () => {
    const root = tempDir()
    const folder = join(root, 'Cairn Backups')
    const { file } = await backedUp(folder)
    const app = startApp(join(root, 'profile'), { CAIRN_BACKUP_DIR: folder })
    const found = await ok<FoundBackups>(app.router.call('restore.find', {}))
    expect(found.suggested).toBe(file)
    expect(found.searched[0]).toMatchObject({ folder, why: 'default', found: 1, problem: null })
    expect(found.backups[0]).toMatchObject({ path: file, complete: true, keyInKeychain: false })

    const empty = join(root, 'empty')
    mkdirSync(empty)
    const none = await ok<FoundBackups>(app.router.call('restore.find', { chosen: empty }))
    expect(none.searched.find((s) => s.folder === empty)).toMatchObject({
      found: 0,
      problem: 'No Cairn backups in this folder.',
    })
    const missing = await refused(
      app.router.call('restore.find', { chosen: join(root, 'no-such') }),
    )
    expect(missing).toEqual({
      code: 'NOT_FOUND',
      message: `There is nothing at ${join(root, 'no-such')}. Check the path of the backup file or of the folder that holds your backups.`,
    })
  })

  it('a malformed key, a wrong key, a damaged backup: said plainly, nothing changed', async () => {
    const root = tempDir()
    const folder = join(root, 'backups')
    const { file, hex, key } = await backedUp(folder)
    const app = startApp(join(root, 'profile'), { CAIRN_BACKUP_DIR: folder })
    const damaged = join(folder, 'damaged.tar.zst.age')
    const bytes = readFileSync(file)
    const at = Math.floor(bytes.length / 2)
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x40, at)
    writeFileSync(damaged, bytes)
    const before = disk(root, folder)
    const start = (text: string, path = file) =>
      refused(app.router.call('restore.start', { path, key: { source: 'digits', text } }))

    const malformed = await start(`${hex.slice(0, -1)}x`)
    expect(malformed.code).toBe('KEY_MALFORMED')
    expect(malformed.message).toMatch(
      /^The key contains "x" \(after 63 digits\), which is not a hex digit/,
    )
    const other = generateBackupKey()
    const wrong = await start(formatKeyHex(other.secret))
    expect(wrong.code).toBe('KEY_MISMATCH')
    expect(wrong.message).toBe(
      `This key (fingerprint ${other.fingerprint}) does not open this backup: it was made with the key ${key.fingerprint}. ` +
        'Check the digits against your recovery sheet, or choose another backup. Nothing was changed.',
    )
    const broken = await start(hex, damaged)
    expect(broken.message).toMatch(
      /damaged or incomplete .* Use an older backup\. Nothing was changed\.$/,
    )
    expect(disk(root, folder)).toEqual(before)
    expect(readdirSync(root).filter((n) => n.includes('restore'))).toEqual([])
    expect(messageCount(join(root, 'profile'))).toBe(0)
  })

  it('a full disk: the restore stops before the profile is touched', async () => {
    const { file, hex } = await backedUp(tempDir(), { messages: 10, attachmentBytes: 1024 * 1024 })
    const disk2 = mountTmpfs({ sizeBytes: 2 * 1024 * 1024 })
    const app = startApp(join(disk2, 'profile'), {})
    const before = readdirSync(disk2).sort()
    const error = await refused(
      app.router.call('restore.start', { path: file, key: { source: 'digits', text: hex } }),
    )
    expect(error.code).toBe('DISK_FULL')
    expect(error.message).toMatch(/not changed|Free some space|free/i)
    expect(readdirSync(disk2).sort()).toEqual(before)
    expect(messageCount(join(disk2, 'profile'))).toBe(0)
  })

  it('no write permission beside the profile: said so, nothing changed', async () => {
    const { file, hex } = await backedUp(tempDir())
    // The profile on a disk of its own, inside a folder on a disk that then turns read-only.
    const parent = mountTmpfs({ sizeBytes: 8 * 1024 * 1024 })
    const profileDir = join(parent, 'profile')
    mkdirSync(profileDir)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', profileDir])
    try {
      const app = startApp(profileDir, {})
      const before = readdirSync(parent).sort()
      remount(parent, 'ro')
      try {
        const error = await refused(
          app.router.call('restore.start', { path: file, key: { source: 'digits', text: hex } }),
        )
        expect(error.code).toBe('RESTORE_FAILED')
        expect(error.message).toMatch(
          /read-only or you lack permission\. Your profile was not changed/,
        )
      } finally {
        remount(parent, 'rw')
      }
      expect(readdirSync(parent).sort()).toEqual(before)
      expect(messageCount(profileDir)).toBe(0)
      open.splice(open.indexOf(app), 1)
      app.ctx.close()
      await app.session.close()
    } finally {
      execFileSync('umount', [profileDir])
    }
  })

  it('over a mailbox that holds mail: says what is replaced, asks, then swaps it in while the host runs; events come from the new services', async () => {
    const root = tempDir()
    const folder = join(root, 'backups')
    const { file, hex } = await backedUp(folder, { messages: 8 })
    const live = await makeProfile({ messages: 3, dir: join(root, 'profile') })
    const app = startApp(live.dir, {})
    const plan = await ok<PlanView>(
      app.router.call('restore.start', { path: file, key: { source: 'digits', text: hex } }),
    )
    expect(plan.replacesSomething).toBe(true)
    expect(plan.summary.live.messages).toBe(3)
    expect(plan.summary.backup.messages).toBe(8)
    expect(plan.confirmations.map((c) => c.kind)).toEqual(['other-profile'])
    const notYet = await refused(app.router.call('restore.execute', { confirm: [] }))
    expect(notYet.code).toBe('RESTORE_NEEDS_CONFIRMATION')
    expect(messageCount(live.dir)).toBe(3)
    // Asked again (the refused call dropped the plan), and confirmed.
    await ok(app.router.call('restore.start', { path: file, key: { source: 'digits', text: hex } }))
    const done = await ok<{ messages: number }>(
      app.router.call('restore.execute', { confirm: ['other-profile'] }),
    )
    expect(done.messages).toBe(8)
    expect((await app.ctx.mail.overview()).messageCount).toBe(8)
    expect(app.events.some((e) => e.event === 'restore.finished')).toBe(true)
    // The renderer's subscription follows the reopened services.
    app.events.length = 0
    await app.ctx.mail.setSeen(1, false)
    expect(app.events.map((e) => e.event)).toContain('mail.changed')
    expect(readdirSync(root).filter((n) => n.includes('restore'))).toEqual([])
  })

  it('a vault that makes the next try wait says when; the try was not counted', async () => {
    const vaultDir = tempDir()
    const vault = await startVaultNode(
      devNodeEnv(vaultDir, { CAIRN_VAULT_FREE_GUESSES: '1', CAIRN_VAULT_GUESS_DELAY: '900' }),
    )
    try {
      const key = generateBackupKey()
      const recordId = await new VaultClient({
        url: vault.url,
        keyStretching: { 'argon2id-custom': { memory: 8, iterations: 1, parallelism: 1 } },
      }).register('correct horse battery', key.secret)
      const { file } = await backedUp(tempDir(), { key, vault: { url: vault.url, recordId } })
      const app = startApp(join(tempDir(), 'profile'), { CAIRN_VAULT_URL: vault.url })
      const found = await ok<FoundBackups>(app.router.call('restore.find', { chosen: file }))
      expect(found.backups[0]?.vaultId).toBe(recordId)
      const attempt = () =>
        refused(
          app.router.call('restore.start', {
            path: file,
            key: { source: 'vault', url: vault.url, password: 'wrong guess', recordId },
          }),
        )
      expect((await attempt()).code).toBe('VAULT_WRONG_PASSWORD')
      const wait = await attempt()
      expect(wait.code).toBe('VAULT_TRY_LATER')
      expect(wait.message).toMatch(
        /the vault takes the next try at .* \(in 15 minutes\)\. That try was not counted/,
      )
    } finally {
      await vault.stop()
    }
  })
})
