import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { runCli } from '../support/cli'
import {
  addDestination,
  bigProfile,
  cliEnv,
  describeEngineSuite,
  profileFingerprint,
  until,
  type EngineHarness,
} from '../support/engine-suite'
import { useRealKeychain } from '../support/keyring'
import { startRelay } from '../support/tcp-relay'
import { createTestCa, type TestCa } from '../support/tls'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
let apache: ApacheDav
let ca: TestCa
let serverCert: { cert: string; key: string }
let relay: Awaited<ReturnType<typeof startRelay>>
let folders = 0
const wwwData = () => ({
  uid: Number(execFileSync('id', ['-u', 'www-data']).toString()),
  gid: Number(execFileSync('id', ['-g', 'www-data']).toString()),
})

beforeAll(async () => {
  keyring = await useRealKeychain()
  ca = createTestCa()
  serverCert = ca.issue()
  apache = await startApacheDav(serverCert, { folders: { readonly: { readOnly: true } } })
  relay = await startRelay(apache.port)
})
afterAll(async () => {
  await relay?.close()
  await apache?.stop()
  keyring?.stop()
})

/** A folder of its own per test, its name with a space and a non-ASCII letter, owned by Apache. */
async function davHarness(): Promise<EngineHarness & { folder: string; name: string }> {
  const name = `My Backups ü ${++folders}`
  const folder = join(apache.basicRoot, name)
  mkdirSync(folder)
  const { uid, gid } = wwwData()
  chownSync(folder, uid, gid)
  const url = `webdavs://127.0.0.1:${relay.port}/basic/${encodeURIComponent(name)}/`
  return {
    kind: 'webdav',
    relay,
    folder,
    name,
    url,
    addOptions: ['--user', apache.user, '--password-stdin', '--ca', ca.cert],
    addInput: `${apache.password}\n`,
    wrongAddOptions: ['--user', apache.user, '--password-stdin', '--ca', ca.cert],
    wrongAddInput: 'not-the-password\n',
    adHocOptions: ['--user', apache.user, '--ca', ca.cert],
    adHocEnv: { CAIRN_DESTINATION_PASSWORD: apache.password },
    rawNames: async () => readdirSync(folder),
    rawPut: async (file, data) => {
      writeFileSync(join(folder, file), data)
      chownSync(join(folder, file), uid, gid)
    },
    unfinishedUploads: async () => 0,
    killServerAfter: async (bytes) => {
      const start = relay.relayed.up
      await until('the upload to be under way', () => relay.relayed.up - start > bytes)
      await apache.kill()
    },
    reviveServer: () => apache.start(),
    leavesAfterKill: 'nothing',
  }
}

describeEngineSuite('WebDAV (Apache mod_dav, TLS)', davHarness)

describe('WebDAV: the server’s identity and bad input', () => {
  it('a changed TLS certificate is refused before anything is sent', async () => {
    const h = await davHarness()
    const { profile } = await bigProfile(1)
    expect((await addDestination(h, profile.dir, 'nas')).code).toBe(0)
    const other = createTestCa('Someone else').issue()
    await apache.restartWith(other)
    try {
      const up = relay.relayed.up
      const refused = await runCli(['backup', '--profile', profile.dir, '--to', 'nas'], {
        env: cliEnv(),
      })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(
        /Backup destination webdavs:\/\/127\.0\.0\.1:\d+\/basic\/My Backups ü \d+\/: the server's identity could not be verified: its certificate is not signed by an authority Cairn trusts for it .* Nothing was sent/,
      )
      // Only TLS handshakes went up: no request, no password, no backup byte.
      expect(relay.relayed.up - up).toBeLessThan(20_000)
      expect(readdirSync(h.folder)).toEqual([])
    } finally {
      await apache.restartWith(serverCert)
    }
  })

  it('no permission to write, and a full disk: said with what to do; older backups and the profile untouched', async () => {
    const { profile } = await bigProfile(4)
    const before = profileFingerprint(profile.dir, 'data')
    const readonly = `webdavs://127.0.0.1:${apache.port}/readonly/`
    const added = await runCli(
      [
        'destination',
        'add',
        '--profile',
        profile.dir,
        'ro',
        readonly,
        '--user',
        apache.user,
        '--password-stdin',
        '--ca',
        ca.cert,
        '--no-test',
      ],
      { env: cliEnv(), input: `${apache.password}\n` },
    )
    expect(added.code).toBe(0)
    const denied = await runCli(['backup', '--profile', profile.dir, '--to', 'ro'], {
      env: cliEnv(),
    })
    expect(denied.code).toBe(1)
    expect(denied.stderr).toMatch(
      /Backup destination webdavs:\/\/127\.0\.0\.1:\d+\/readonly\/: the server does not allow this user to .* there \(403\)\. Check the folder's sharing and permissions\./,
    )
    expect(readdirSync(apache.folders.readonly as string)).toEqual([])

    // A small disk under the DAV folder: one backup fits, the next (after the profile grew) does not.
    const full = join(apache.basicRoot, `small-disk-${++folders}`)
    mkdirSync(full)
    const { uid, gid } = wwwData()
    execFileSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      // Room for the first backup (4 MiB of attachments, plus the raw messages kept for
      // "view source") but not for the grown profile's beside it.
      `size=${12 << 20},uid=${uid},gid=${gid},mode=0755`,
      'tmpfs',
      full,
    ])
    try {
      const url = `webdavs://127.0.0.1:${apache.port}/basic/${encodeURIComponent(full.split('/').pop() as string)}/`
      expect(
        (
          await runCli(
            [
              'destination',
              'add',
              '--profile',
              profile.dir,
              'small',
              url,
              '--user',
              apache.user,
              '--password-stdin',
              '--ca',
              ca.cert,
            ],
            { env: cliEnv(), input: `${apache.password}\n` },
          )
        ).code,
      ).toBe(0)
      const first = await runCli(['backup', '--profile', profile.dir, '--to', 'small', '--json'], {
        env: cliEnv(),
      })
      expect(first.code, first.stderr).toBe(0)
      const older = (JSON.parse(first.stdout) as { name: string }).name
      const grown = await bigProfile(5) // a bigger profile into the same small folder
      expect(
        (
          await runCli(
            [
              'destination',
              'add',
              '--profile',
              grown.profile.dir,
              'small',
              url,
              '--user',
              apache.user,
              '--password-stdin',
              '--ca',
              ca.cert,
            ],
            { env: cliEnv(), input: `${apache.password}\n` },
          )
        ).code,
      ).toBe(0)
      const overflow = await runCli(['backup', '--profile', grown.profile.dir, '--to', 'small'], {
        env: cliEnv(),
      })
      expect(overflow.code).toBe(1)
      expect(overflow.stderr).toMatch(
        /Backup destination webdavs:\/\/.+: the server is out of space or over quota \(507\)\. The unfinished backup was removed; free space or prune old backups\./,
      )
      expect(
        readdirSync(full)
          .filter((n) => n.includes('.tar.zst.age'))
          .sort(),
      ).toEqual([older, `${older}.json`])
    } finally {
      execFileSync('umount', ['-l', full])
    }
    expect(profileFingerprint(profile.dir, 'data')).toEqual(before)
  })

  it('500s, garbage XML and a slow server: a message naming the destination and what to do', async () => {
    const { profile } = await bigProfile(1)
    let mode: '500' | 'garbage' = '500'
    const server = createServer((req, res) => {
      req.resume()
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'text/html' })
        res.end('<html>oops</html>')
      } else {
        res.writeHead(207, { 'content-type': 'application/xml' })
        res.end(
          '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/dav/cairn-backup-',
        )
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      expect(
        (
          await runCli(
            [
              'destination',
              'add',
              '--profile',
              profile.dir,
              'broken',
              `webdav://127.0.0.1:${port}/dav/`,
              '--no-test',
            ],
            { env: cliEnv() },
          )
        ).code,
      ).toBe(0)
      const failed = await runCli(['backup', '--profile', profile.dir, '--to', 'broken'], {
        env: cliEnv(),
      })
      expect(failed.stderr).toMatch(
        /Backup destination webdav:\/\/127\.0\.0\.1:\d+\/dav\/: the server failed \(500\) while Cairn tried to list the folder\. Try again later\./,
      )
      mode = 'garbage'
      const garbage = await runCli(['list', '--to', 'broken', '--profile', profile.dir], {
        env: cliEnv(),
      })
      expect(garbage.code).toBe(1)
      expect(garbage.stderr).toMatch(
        /Backup destination webdav:\/\/127\.0\.0\.1:\d+\/dav\/: the server's listing is not valid WebDAV XML .*Check the address is a WebDAV folder\./,
      )
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }

    const h = await davHarness()
    expect(
      (
        await runCli(
          [
            'destination',
            'add',
            '--profile',
            profile.dir,
            'slow',
            h.url,
            ...h.addOptions,
            '--timeout',
            '1',
          ],
          { env: cliEnv(), input: h.addInput },
        )
      ).code,
    ).toBe(0)
    relay.delay(3000)
    try {
      const slow = await runCli(['list', '--to', 'slow', '--profile', profile.dir], {
        env: cliEnv(),
      })
      expect(slow.code).toBe(1)
      expect(slow.stderr).toMatch(
        /Backup destination webdavs:\/\/.+: the server stopped answering \(timed out\)\. Check the network, or try again later\./,
      )
    } finally {
      relay.delay(0)
    }
  })

  it('an address that climbs out of its folder or hides a password is refused before anything is sent', async () => {
    const { profile } = await bigProfile(1)
    const climbing = await runCli(
      [
        'backup',
        '--profile',
        profile.dir,
        '--to',
        `webdavs://127.0.0.1:${apache.port}/basic/../digest/`,
      ],
      { env: cliEnv() },
    )
    expect(climbing.code).toBe(1)
    expect(climbing.stderr).toMatch(
      /is not usable: the path may not contain "\." or "\.\." segments/,
    )
    const withPassword = await runCli(
      [
        'backup',
        '--profile',
        profile.dir,
        '--to',
        `webdavs://cairn:hunter2@127.0.0.1:${apache.port}/basic/`,
      ],
      { env: cliEnv() },
    )
    expect(withPassword.code).toBe(1)
    expect(withPassword.stderr).toMatch(/Put no password in a destination address/)
    expect(withPassword.stderr).not.toContain('hunter2')
  })
})
