import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { setUpBackupKey } from './backup-fixtures'
import { addMail, profileState } from './chain-world'
import { runCli, type CliResult } from './cli'
import { makeProfile } from './profiles'
import type { startRelay } from './tcp-relay'
import { tempDir } from './temp'

export type Relay = Awaited<ReturnType<typeof startRelay>>

/**
 * One kind of remote destination for the engine suite: a real server on
 * loopback with a TCP relay in front of it, and how the tests see its
 * storage from outside.
 */
export interface EngineHarness {
  kind: 's3' | 'webdav' | 'sftp'
  relay: Relay
  /** The backups' folder address through the relay (s3://…, webdavs://…, sftp://…). */
  url: string
  /** `cairn destination add` options (credentials, CA, host key …) and what it reads on stdin. */
  addOptions: string[]
  addInput?: string
  /** The same with credentials the server refuses. */
  wrongAddOptions: string[]
  wrongAddInput?: string
  /**
   * What `cairn verify URL` / `cairn restore URL` need without a named
   * destination: options and environment (AWS_* for S3, CAIRN_DESTINATION_PASSWORD …).
   */
  adHocOptions: string[]
  adHocEnv: NodeJS.ProcessEnv
  /** Every name in the backups' folder (temporary ones included), as another program sees it. */
  rawNames(): Promise<string[]>
  rawPut(name: string, data: Buffer): Promise<void>
  /** Uploads the server holds unfinished (S3 multipart uploads; 0 elsewhere). */
  unfinishedUploads(): Promise<number>
  /**
   * The server gone in the middle of an upload, once `bytes` more have gone
   * up: SIGKILL for Apache and sshd; for S3 the link is cut at that very
   * byte (moto keeps its data only in memory, and uploads a part at a time
   * at full speed, too fast to catch from outside).
   */
  killServerAfter(bytes: number): Promise<void>
  reviveServer(): Promise<void>
  /**
   * What a killed upload leaves on the server for the next run to clean up:
   * an unfinished multipart upload (S3), a temporary file (SFTP), or
   * nothing of Cairn's (Apache keeps an unfinished PUT in a file of its own).
   */
  leavesAfterKill: 'upload' | 'partial' | 'nothing'
}

/** Wait until `predicate` holds (polled), or fail saying what was waited for. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const cliEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
  ...extra,
})

/**
 * Every file of a profile with its SHA-256 (the live profile must come out
 * of a failure unchanged). With `data`, only the mailbox and attachments:
 * a backup run records its outcome in settings.json and each destination's
 * block record in backup-state/, by design.
 */
export function profileFingerprint(dir: string, only?: 'data'): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) {
        if (!(only === 'data' && relative(dir, path) === 'backup-state')) walk(path)
      } else if (
        entry.isFile() &&
        !/-wal$|-shm$|cairn\.lock$/.test(entry.name) &&
        !(only === 'data' && entry.name === 'settings.json')
      )
        out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }
  walk(dir)
  return out
}

/** A profile with a backup key and about `mb` MB of incompressible attachments. */
export async function bigProfile(mb = 8) {
  const profile = await makeProfile({ messages: mb * 5, attachmentBytes: 1 << 20 })
  const { key, keyFile } = setUpBackupKey(profile.dir)
  return { profile, key, keyFile }
}

export async function addDestination(
  h: EngineHarness,
  profileDir: string,
  name: string,
  options: { wrong?: boolean; test?: boolean; url?: string } = {},
): Promise<CliResult> {
  return runCli(
    [
      'destination',
      'add',
      '--profile',
      profileDir,
      name,
      options.url ?? h.url,
      ...(options.wrong ? h.wrongAddOptions : h.addOptions),
      ...(options.test === false ? ['--no-test'] : []),
    ],
    {
      ...((options.wrong ? h.wrongAddInput : h.addInput) !== undefined
        ? { input: options.wrong ? h.wrongAddInput : h.addInput }
        : {}),
      env: cliEnv(),
    },
  )
}

const ofBackup = (names: string[]) => names.filter((n) => /\.tar\.zst\.age$/.test(n))
const temporary = (names: string[]) => names.filter((n) => /\.partial(\.json)?$/.test(n))

/**
 * What the backup engine must do with every kind of remote destination, run
 * through the real CLI and the real keychain against a real server: back
 * up, list, verify, restore into a fresh profile, retention; a chain's
 * incremental link restored on a new machine; the server
 * killed in the middle of an upload; the network cut in the middle of a
 * restore; wrong credentials; a listing with others' files and half-written
 * ones.
 */
export function describeEngineSuite(kind: string, harness: () => Promise<EngineHarness>): void {
  describe(`the backup engine on ${kind}`, () => {
    it('backs up, lists, verifies and restores into a fresh profile (URL, no local copy), and prunes by retention', async () => {
      const h = await harness()
      const { profile, keyFile } = await bigProfile(3)
      expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
      const backedUp = await runCli(
        ['backup', '--profile', profile.dir, '--to', 'offsite', '--json'],
        { env: cliEnv() },
      )
      expect(backedUp.code, backedUp.stderr).toBe(0)
      const result = JSON.parse(backedUp.stdout) as {
        name: string
        path: string
        size: number
        destination: string
      }
      // Where it is, as messages name it (a URL, its path decoded for reading).
      expect(decodeURI(result.path)).toBe(decodeURI(`${h.url.replace(/\/?$/, '/')}${result.name}`))
      expect(ofBackup(await h.rawNames())).toEqual([result.name])
      expect(temporary(await h.rawNames())).toEqual([])

      const listed = await runCli(['list', '--to', 'offsite', '--profile', profile.dir, '--json'], {
        env: cliEnv(),
      })
      expect(listed.code, listed.stderr).toBe(0)
      expect(JSON.parse(listed.stdout)).toMatchObject([
        { name: result.name, complete: true, profileId: profile.id, size: result.size },
      ])
      // The named destination's settings and secrets come with --profile.
      const quick = await runCli(['verify', result.path, '--profile', profile.dir], {
        env: cliEnv(),
      })
      expect(quick.code, quick.stderr).toBe(0)
      expect(quick.stdout).toMatch(/is intact \(size and SHA-256 match its sidecar\)/)
      const full = await runCli(
        ['verify', result.path, '--profile', profile.dir, '--key-file', keyFile, '--json'],
        { env: cliEnv() },
      )
      expect(full.code, full.stderr).toBe(0)
      expect(JSON.parse(full.stdout)).toMatchObject({ level: 'full', profileId: profile.id })

      // A new machine: no profile, no named destination; the URL, options and environment say it all.
      const fresh = join(tempDir(), 'profile')
      const restored = await runCli(
        ['restore', result.path, '--profile', fresh, '--key-file', keyFile, ...h.adHocOptions],
        { env: cliEnv(h.adHocEnv) },
      )
      expect(restored.code, restored.stderr).toBe(0)
      const before = profileFingerprint(profile.dir)
      const after = profileFingerprint(fresh)
      for (const path of Object.keys(before).filter((p) => p.startsWith('attachments/')))
        expect(after[path], path).toBe(before[path])

      // Retention of this destination: keep only the newest.
      const kept = await runCli(
        [
          'schedule',
          '--profile',
          profile.dir,
          '--to',
          'offsite',
          '--daily',
          '03:00',
          '--keep-last',
          '1',
          '--daily-keep',
          '0',
          '--weekly-keep',
          '0',
          '--monthly-keep',
          '0',
        ],
        { env: cliEnv() },
      )
      expect(kept.code, kept.stderr).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 1100)) // another second, another name
      // A full backup: the first has nothing depending on it and goes (a chain's links would stay).
      const second = await runCli(
        ['backup', '--profile', profile.dir, '--to', 'offsite', '--full', '--json'],
        {
          env: cliEnv(),
        },
      )
      expect(second.code, second.stderr).toBe(0)
      const secondResult = JSON.parse(second.stdout) as { name: string; deleted: string[] }
      expect(secondResult.deleted).toEqual([result.name])
      expect(ofBackup(await h.rawNames())).toEqual([secondResult.name])
    })

    it('chains: the next backup is an incremental link, and it restores on a new machine, its full backup found beside it', async () => {
      const h = await harness()
      const { profile, keyFile } = await bigProfile(3)
      expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
      const backUp = async () => {
        const run = await runCli(
          ['backup', '--profile', profile.dir, '--to', 'offsite', '--json'],
          {
            env: cliEnv(),
          },
        )
        expect(run.code, run.stderr).toBe(0)
        return JSON.parse(run.stdout) as {
          name: string
          path: string
          size: number
          kind: string
          base: string
        }
      }
      const first = await backUp()
      expect(first.kind).toBe('full')
      await addMail(profile.dir, 3)
      await new Promise((resolve) => setTimeout(resolve, 1100)) // another second, another name
      const second = await backUp()
      expect(second).toMatchObject({ kind: 'incremental', base: first.name })
      expect(second.size).toBeLessThan(first.size / 4)
      const fresh = join(tempDir(), 'profile')
      const restored = await runCli(
        ['restore', second.path, '--profile', fresh, '--key-file', keyFile, ...h.adHocOptions],
        { env: cliEnv(h.adHocEnv) },
      )
      expect(restored.code, restored.stderr).toBe(0)
      expect(profileState(fresh)).toEqual(profileState(profile.dir))
    })

    it('the server killed in the middle of an upload: no complete-looking backup; the next run cleans up and succeeds', async () => {
      const h = await harness()
      const { profile } = await bigProfile(8)
      expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
      // A speed limit keeps the upload going long enough to be interrupted in its middle.
      const running = runCli(
        ['backup', '--profile', profile.dir, '--to', 'offsite', '--bandwidth-limit', '2000000'],
        { env: cliEnv() },
      )
      let failed
      try {
        await h.killServerAfter(3 << 20)
        failed = await running
      } finally {
        await h.reviveServer()
      }
      expect(failed.code).toBe(1)
      expect(failed.stderr).toMatch(
        /cairn backup: Backup destination .+: .*(connection|refused|answering)/,
      )
      const listed = await runCli(['list', '--to', 'offsite', '--profile', profile.dir, '--json'], {
        env: cliEnv(),
      })
      expect(listed.code, listed.stderr).toBe(0)
      expect(
        (JSON.parse(listed.stdout) as { complete: boolean }[]).filter((b) => b.complete),
      ).toEqual([])
      // What the dead upload left waits for the next run.
      expect(await h.unfinishedUploads()).toBe(h.leavesAfterKill === 'upload' ? 1 : 0)
      const left = temporary(await h.rawNames())
      if (h.leavesAfterKill === 'partial') expect(left.length).toBeGreaterThan(0)
      // S3: at most the upload's marker (<temp>.partial.json), never data under a temporary name.
      else if (h.leavesAfterKill === 'upload')
        expect(left.filter((n) => !n.endsWith('.partial.json'))).toEqual([])
      else expect(left).toEqual([])

      const next = await runCli(['backup', '--profile', profile.dir, '--to', 'offsite', '--json'], {
        env: cliEnv(),
      })
      expect(next.code, next.stderr).toBe(0)
      const names = await h.rawNames()
      expect(temporary(names)).toEqual([])
      expect(ofBackup(names)).toEqual([(JSON.parse(next.stdout) as { name: string }).name])
      expect(await h.unfinishedUploads()).toBe(0)
      const again = await runCli(['list', '--to', 'offsite', '--profile', profile.dir, '--json'], {
        env: cliEnv(),
      })
      expect(JSON.parse(again.stdout)).toMatchObject([{ complete: true }])
    })

    it('the network cut in the middle of a restore: a clear error and the live profile untouched; a short outage is resumed', async () => {
      const h = await harness()
      const { profile, keyFile } = await bigProfile(6)
      expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
      const backedUp = await runCli(
        ['backup', '--profile', profile.dir, '--to', 'offsite', '--json'],
        {
          env: cliEnv(),
        },
      )
      expect(backedUp.code, backedUp.stderr).toBe(0)
      const { path, size } = JSON.parse(backedUp.stdout) as { path: string; size: number }
      const before = profileFingerprint(profile.dir)
      const parent = join(profile.dir, '..')
      const beside = readdirSync(parent).sort()

      // Cut for good, a few MB into the backup: the restore stops, nothing changed.
      h.relay.cutAfterDown(Math.floor(size / 2))
      const cut = await runCli(
        ['restore', path, '--profile', profile.dir, '--key-file', keyFile, '--force'],
        { env: cliEnv() },
      )
      h.relay.restore()
      expect(cut.code).toBe(1)
      expect(cut.stderr).toMatch(
        /Backup destination .+: .*(connection|refused|answering).* The restore stopped before changing anything: your profile was not changed\./,
      )
      expect(profileFingerprint(profile.dir)).toEqual(before)
      expect(readdirSync(parent).sort()).toEqual(beside)

      // A short outage late in the read: it goes on from where it stopped (a byte range).
      // Cut at 80%, starting over would bring down 1.8 backups' worth; resuming brings down one
      // plus what was in flight when the link dropped (socket buffers; the relay passes bytes only
      // as fast as the client takes them: 1.00-1.01 measured), so 1.6 tells them apart.
      const downBefore = h.relay.relayed.down
      h.relay.cutAfterDown(Math.floor(size * 0.8), { blip: true })
      const resumed = await runCli(
        ['restore', path, '--profile', profile.dir, '--key-file', keyFile, '--force', '--json'],
        { env: cliEnv() },
      )
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(h.relay.relayed.down - downBefore).toBeLessThan(size * 1.6)
      const after = profileFingerprint(profile.dir)
      for (const file of Object.keys(before).filter((p) => p.startsWith('attachments/')))
        expect(after[file], file).toBe(before[file])
    })

    it('wrong credentials: refused with a message naming the destination, nothing written; other files untouched', async () => {
      const h = await harness()
      const { profile } = await bigProfile(1)
      const refusedAdd = await addDestination(h, profile.dir, 'bad', { wrong: true })
      expect(refusedAdd.code).toBe(1)
      expect(refusedAdd.stderr).toMatch(
        /Backup destination .+: .*(credentials|user name and password|login)/,
      )
      // Added anyway (--no-test): the backup is refused the same way, and writes nothing.
      expect((await addDestination(h, profile.dir, 'bad', { wrong: true, test: false })).code).toBe(
        0,
      )
      await h.rawPut('their-notes.txt', Buffer.from('not Cairn’s'))
      const namesBefore = (await h.rawNames()).sort()
      const before = profileFingerprint(profile.dir, 'data')
      const refused = await runCli(['backup', '--profile', profile.dir, '--to', 'bad'], {
        env: cliEnv(),
      })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(
        /cairn backup: Backup destination .+: .*(credentials|user name and password|login)/,
      )
      expect((await h.rawNames()).sort()).toEqual(namesBefore)
      expect(profileFingerprint(profile.dir, 'data')).toEqual(before)
    })

    it('a listing with others’ files and half-written backups: only complete backups listed; retention touches only this profile’s', async () => {
      const h = await harness()
      const { profile } = await bigProfile(1)
      expect((await addDestination(h, profile.dir, 'offsite')).code).toBe(0)
      const foreign = [
        'holiday-photos.zip',
        'cairn-backup-20200101T000000Z.tar.zst.age', // half-written by someone: no sidecar
        'cairn-backup-20200102T000000Z.tar.zst.age.99999-0badc0de.partial', // another machine's upload
        'we ird %2F näme.txt',
      ]
      for (const name of foreign) await h.rawPut(name, Buffer.from(`x ${name}`))
      const keepOne = [
        '--keep-last',
        '1',
        '--daily-keep',
        '0',
        '--weekly-keep',
        '0',
        '--monthly-keep',
        '0',
      ]
      await runCli(['schedule', '--profile', profile.dir, '--to', 'offsite', ...keepOne], {
        env: cliEnv(),
      })
      const made: string[] = []
      for (let run = 0; run < 2; run++) {
        if (run > 0) await new Promise((resolve) => setTimeout(resolve, 1100))
        // Full backups: standalone, so retention may take the older (a chain's links would stay).
        const backedUp = await runCli(
          ['backup', '--profile', profile.dir, '--to', 'offsite', '--full', '--json'],
          { env: cliEnv() },
        )
        expect(backedUp.code, backedUp.stderr).toBe(0)
        made.push((JSON.parse(backedUp.stdout) as { name: string }).name)
      }
      const listed = JSON.parse(
        (
          await runCli(['list', '--to', 'offsite', '--profile', profile.dir, '--json'], {
            env: cliEnv(),
          })
        ).stdout,
      ) as { name: string; complete: boolean }[]
      // This profile's older backup went; the others' files and half-written ones stayed.
      expect(listed.filter((b) => b.complete).map((b) => b.name)).toEqual([made[1]])
      expect(listed.find((b) => b.name === foreign[1])).toMatchObject({ complete: false })
      expect(listed.some((b) => b.name.includes('partial') || b.name.includes('photos'))).toBe(
        false,
      )
      const names = await h.rawNames()
      for (const name of foreign) expect(names).toContain(name)
    })
  })
}

export const fileSize = (path: string) => statSync(path).size
