/**
 * The running app's control socket, which `cairn backup` and `cairn
 * restore` use while the app holds the profile: only the profile's owner
 * can reach it (a private folder, a 0600 socket, a token in a 0600 file in
 * the 0700 profile), a connection without the right token runs nothing,
 * and the commands that only read work without the lock.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import { ProfileSession } from '../../main/ipc/profile-session'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { controlFilePath, controlSocketPath, runningAppOf } from '../../main/profile/app-control'
import { openProfile } from '../../main/profile/profile'
import { openServices } from '../../main/services'
import { backupFiles, messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const RENDERER = join(import.meta.dirname, '..', '..', 'out', 'renderer')
let running: { host: WebHost; session: ProfileSession } | undefined
afterEach(async () => {
  await running?.host.close()
  await running?.session.close()
  running = undefined
})

async function appWith(profileDir: string) {
  const session = new ProfileSession(profileDir, (dir) => openServices(dir))
  const host = await startWebHost({
    session,
    rendererDir: RENDERER,
    host: { env: process.env, userDataDir: tempDir() },
  })
  running = { host, session }
  return running
}

async function backedUpProfile() {
  const profile = await makeProfile({ messages: 5 })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  const dest = tempDir()
  const p = openProfile(profile.dir)
  writeBackupSettings(p, (s) => s && { ...s, destination: dest })
  p.close()
  return { profile, key, keyFile, dest }
}

/** Send one line to a socket and read what comes back until it closes. */
function exchange(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket)
    let data = ''
    client.setEncoding('utf8')
    client.on('connect', () => client.write(line))
    client.on('data', (chunk: string) => (data += chunk))
    client.on('close', () => resolve(data))
    client.on('error', reject)
  })
}

describe('the app control socket', () => {
  it('is private to the profile’s owner, refuses a wrong or missing token, and goes away with the app', async () => {
    const { profile, dest } = await backedUpProfile()
    const { host, session } = await appWith(profile.dir)
    const control = runningAppOf(profile.dir)
    expect(control?.pid).toBe(process.pid)
    const socket = control?.socket as string
    expect(statSync(controlFilePath(profile.dir)).mode & 0o777).toBe(0o600)
    expect(statSync(socket).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(socket)).mode & 0o077).toBe(0)

    for (const line of [
      '{"command":"backup"}\n',
      `${JSON.stringify({ token: 'A'.repeat(43), command: 'backup' })}\n`,
      'not json\n',
      `${JSON.stringify({ token: control?.token, command: 'rm -rf' })}\n`,
    ]) {
      const reply = await exchange(socket, line)
      expect(JSON.parse(reply)).toEqual({
        type: 'error',
        code: 'APP_CONTROL',
        message: 'The app refused the request.',
      })
    }
    expect(readdirSync(dest)).toEqual([]) // nothing was backed up
    expect(session.current.backups.status().running).toBe(false)

    // Another user of this computer can neither read the token nor connect.
    const other = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']
    const read = spawnSync(other[0] as string, [
      ...other.slice(1),
      'cat',
      controlFilePath(profile.dir),
    ])
    expect(read.status).not.toBe(0)
    const nodeConnect = `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>process.exit(0)).on('error',(e)=>{console.error(e.code);process.exit(3)})`
    const reach = spawnSync(other[0] as string, [
      ...other.slice(1),
      process.execPath,
      '-e',
      nodeConnect,
    ])
    expect(reach.status, reach.stderr.toString()).toBe(3)
    expect(reach.stderr.toString()).toMatch(/EACCES|ENOENT/)

    await host.close()
    expect(existsSync(socket)).toBe(false)
    expect(existsSync(controlFilePath(profile.dir))).toBe(false)
    expect(runningAppOf(profile.dir)).toBeNull()
  })

  it('reading commands work without the lock; changes and a backup elsewhere are refused with what to do', async () => {
    const { profile, key, dest } = await backedUpProfile()
    await appWith(profile.dir)
    const shown = await runCli(['key', 'show', '--profile', profile.dir, '--json'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toMatchObject({
      fingerprint: key.fingerprint,
      custody: 'user',
    })
    expect((await runCli(['schedule', '--profile', profile.dir, '--json'])).code).toBe(0)
    expect((await runCli(['list', '--to', dest])).code).toBe(0)

    const elsewhere = await runCli(['backup', '--profile', profile.dir, '--to', tempDir()])
    expect(elsewhere.code).toBe(1)
    expect(elsewhere.stderr).toMatch(
      /The Cairn app has this profile open and backs up to .*close the app first/,
    )
    const imported = await runCli(['import', '--profile', profile.dir, tempDir()])
    expect(imported.code).toBe(1)
    expect(imported.stderr).toMatch(/The Cairn app has this profile open/)
    expect(backupFiles(dest)).toEqual([])
  })

  it('cairn restore through the app: a restore that needs a yes is refused off a terminal, naming --force; nothing changed', async () => {
    const { profile, keyFile, dest } = await backedUpProfile()
    const { session } = await appWith(profile.dir)
    const first = await runCli(['backup', '--profile', profile.dir])
    expect(first.code, first.stderr).toBe(0)
    // A newer one (restoring the first goes back in time), full as asked, made by the app too.
    const second = await runCli(['backup', '--profile', profile.dir, '--full'])
    expect(second.code, second.stderr).toBe(0)
    const listed = JSON.parse((await runCli(['list', '--to', dest, '--json'])).stdout) as {
      kind: string
    }[]
    expect(listed.map((b) => b.kind)).toEqual(['full', 'full'])
    const [older] = backupFiles(dest)
    const before = messageCount(profile.dir)
    const asked = await runCli([
      'restore',
      older as string,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
    ])
    expect(asked.code).toBe(1)
    expect(asked.stderr).toMatch(
      /This would replace the profile at .* but:\n {2}This backup was made on .* restoring it loses everything since\.\nNothing was changed\. To restore it anyway, run the command again with --force\./,
    )
    expect(messageCount(profile.dir)).toBe(before)
    expect(readdirSync(dirname(profile.dir)).filter((n) => n.includes('restore'))).toEqual([])
    // The app is still serving the same profile, and still answers.
    expect(session.current.profile.id).toBe(profile.id)
    const json = await runCli([
      'restore',
      older as string,
      '--profile',
      profile.dir,
      '--key-file',
      keyFile,
      '--force',
      '--json',
    ])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      messagesAfter: 5,
      confirmed: ['older-than-newest-backup'],
    })
  })
})

describe('the control socket folder', () => {
  it('is a private folder of this user: one open to others is not used', () => {
    const shared = tempDir()
    const saved = process.env.TMPDIR
    process.env.TMPDIR = shared
    try {
      // A runtime folder open to others is passed over for a private one made 0700.
      const loose = tempDir()
      chmodSync(loose, 0o755)
      const path = controlSocketPath({ XDG_RUNTIME_DIR: loose })
      expect(dirname(path)).toBe(join(shared, `cairn-${process.getuid?.()}`))
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
      // Someone made that folder open to all first: refused, not used.
      chmodSync(dirname(path), 0o777)
      expect(() => controlSocketPath({})).toThrow(/is not a private folder of this user/)
    } finally {
      process.env.TMPDIR = saved
      if (saved === undefined) delete process.env.TMPDIR
    }
  })
})
