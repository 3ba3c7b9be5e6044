import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebdavDestination } from '../../main/backup/destination/webdav/webdav-destination'
import { FileStoreDestination } from '../../main/backup/destination/file-store'
import { WebdavStore, type WebdavSettings } from '../../main/backup/destination/webdav/webdav-store'
import { isCairnError, type ErrorCode } from '../../main/shared/errors'
import { startApacheDav, type ApacheDav } from '../support/apache-webdav'
import { describeDestinationContract, writeBackup } from '../support/destination-contract'
import { parseDestinationAddress } from '../../main/backup/destination/destination-url'
import { openDestination } from '../../main/backup/destination/open-destination'
import { backupIntoStall, stallBefore } from '../support/stalls'
import { startRelay } from '../support/tcp-relay'
import { createTestCa, type TestCa } from '../support/tls'
import { within } from '../support/within'

let apache: ApacheDav
let ca: TestCa
beforeAll(async () => {
  ca = createTestCa()
  apache = await startApacheDav(ca.issue())
})
afterAll(async () => {
  await apache?.stop()
})

const settings = (
  path: 'basic' | 'digest',
  extra: Partial<WebdavSettings> = {},
): WebdavSettings => ({
  url: `${apache.origin}/${path}/`,
  user: apache.user,
  password: apache.password,
  ca: ca.certPem,
  ...extra,
})

/** Files as Apache's DAV folder holds them, written as www-data would not: root, then readable. */
function harness(path: 'basic' | 'digest') {
  return async () => {
    const destination = new WebdavDestination(settings(path))
    const dir = path === 'basic' ? apache.basicRoot : apache.digestRoot
    return {
      destination,
      rawPut: async (name: string, data: Buffer) =>
        writeFileSync(join(dir, name), data, { mode: 0o666 }),
      rawGet: async (name: string) => {
        try {
          return readFileSync(join(dir, name))
        } catch {
          return null
        }
      },
      rawNames: async () => readdirSync(dir),
      rawFolder: async (name: string) => mkdirSync(join(dir, name), { mode: 0o777 }),
      dispose: () => destination.close(),
    }
  }
}

describeDestinationContract('WebDAV over TLS, Basic auth (Apache mod_dav)', harness('basic'))
describeDestinationContract('WebDAV over TLS, Digest auth (Apache mod_dav)', harness('digest'), {
  payloadBytes: 3 << 20,
})

describe('WebDAV logins and certificates', () => {
  it('says when the password is wrong (Basic and Digest)', async () => {
    for (const path of ['basic', 'digest'] as const) {
      const destination = new WebdavDestination(settings(path, { password: 'wrong' }))
      await expect(destination.list()).rejects.toSatisfy((e) => isCairnError(e, 'DESTINATION_AUTH'))
      await destination.close()
    }
  })

  it('logs in when its first requests go out together, before any answer taught it the scheme (Basic and Digest)', async () => {
    for (const path of ['basic', 'digest'] as const) {
      const destination = new WebdavDestination(settings(path))
      const name = 'cairn-backup-19990101T000000Z.tar.zst.age'
      const answers = await Promise.all([
        destination.list(),
        destination.stat(name),
        destination.list(),
        destination.stat(name),
      ])
      const [first, missing, again, missingAgain] = answers
      expect(Array.isArray(first)).toBe(true)
      expect(again).toEqual(first)
      expect([missing, missingAgain]).toEqual([null, null])
      await destination.close()
    }
  })

  it('says when no login was given', async () => {
    const destination = new WebdavDestination(settings('basic', { user: null, password: null }))
    await expect(destination.test()).rejects.toSatisfy(
      (e) => isCairnError(e, 'DESTINATION_AUTH') && /--user/.test((e as Error).message),
    )
    await destination.close()
  })

  it('refuses a server whose certificate the given authority did not sign', async () => {
    const withoutCa = new WebdavDestination(settings('basic', { ca: null }))
    await expect(withoutCa.list()).rejects.toSatisfy((e) => isCairnError(e, 'DESTINATION_TLS'))
    await withoutCa.close()
    const other = createTestCa('Someone in between')
    await apache.restartWith(other.issue())
    try {
      const destination = new WebdavDestination(settings('basic'))
      const error = await destination.list().catch((e: unknown) => e)
      expect(isCairnError(error, 'DESTINATION_TLS')).toBe(true)
      expect((error as Error).message).toMatch(/--ca/)
      await destination.close()
    } finally {
      await apache.restartWith(ca.issue('again'))
    }
  })

  it('refuses to send a password over plain HTTP to another machine', () => {
    expect(
      () => new WebdavDestination({ url: 'http://nas.example/dav/', user: 'u', password: 'p' }),
    ).toThrow(/unencrypted/)
  })

  it('reports what the server offers in its connection test (no Nextcloud chunking on Apache)', async () => {
    const destination = new WebdavDestination(settings('digest'))
    const report = await destination.test()
    expect(report.details.auth).toBe('digest')
    expect(report.details.chunkedUpload).toBe('no (single PUT)')
    expect(report.details.server).toMatch(/Apache/)
    await destination.close()
  })
})

/**
 * A WebDAV address typed with a doubled slash (webdavs://nas//backups/,
 * …/files/ann//Backups): the server merges the slashes and stores the
 * backups, so Cairn must also find them there again. Otherwise `cairn list`
 * shows none, retention never prunes and a restore finds nothing.
 */
describe('a WebDAV address with a doubled slash', () => {
  it('lists the backups it wrote', async () => {
    const folder = join(apache.basicRoot, 'laptop')
    mkdirSync(folder)
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'www-data']).toString())
      chownSync(folder, id('-u'), id('-g'))
    }
    const address = parseDestinationAddress(`webdavs://127.0.0.1:${apache.port}/basic//laptop/`)
    const destination = openDestination(
      address,
      { user: apache.user, ca: ca.certPem },
      { env: { CAIRN_DESTINATION_PASSWORD: apache.password } },
    )
    try {
      const name = await writeBackup(destination, new Date(), Buffer.from('backup bytes'))
      expect(readdirSync(folder)).toContain(name)
      const listed = await destination.list()
      expect(listed.map((b) => [b.name, b.complete])).toEqual([[name, true]])
    } finally {
      await destination.close()
    }
  })
})

/**
 * A WebDAV server is anyone's (or the attacker's): its answer to the
 * listing may go on for gigabytes, list millions of entries, nest without
 * end, carry an entity bomb, trickle a byte now and then for ever, or never
 * start. The listing must stop early, with the destination's name, and
 * never hold the whole answer in memory.
 */
describe('a hostile WebDAV server answering the listing', () => {
  it('stops an endless, crowded, deep, entity-laden, trickling or silent listing and names the destination', async () => {
    type Mode = 'huge' | 'many' | 'deep' | 'entities' | 'trickle' | 'silent'
    let mode: Mode = 'huge'
    let sent = 0
    let hungUp = false
    const head = '<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:">'
    // Bounded even for a client that reads without end: the test must fail, not exhaust memory.
    const cap = 256 << 20
    const filler: Record<'huge' | 'many' | 'deep', Buffer> = {
      huge: Buffer.alloc(64 << 10, ' '),
      many: Buffer.from(
        Array.from(
          { length: 1000 },
          (_, i) =>
            `<d:response><d:href>/dav/junk-${i}</d:href><d:propstat><d:prop><d:getcontentlength>1</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`,
        ).join(''),
      ),
      deep: Buffer.from('<d:prop>'.repeat(8192)),
    }
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE d:multistatus [<!ENTITY a "aaaaaaaaaa">' +
      Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${'&a;'.repeat(10)}">`,
      ).join('') +
      ']><d:multistatus xmlns:d="DAV:"><d:response><d:href>/dav/&bbbbbbbbb;</d:href></d:response></d:multistatus>'
    const hostile = createServer((req, res) => {
      req.resume()
      res.on('close', () => (hungUp = true))
      // Silent: the connection stays open and no answer ever starts.
      if (mode === 'silent') return
      res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' })
      if (mode === 'entities') {
        res.end(bomb)
        return
      }
      res.write(head)
      if (mode === 'trickle') {
        const timer = setInterval(() => {
          sent++
          res.write(' ')
        }, 50)
        res.on('close', () => clearInterval(timer))
        return
      }
      if (mode === 'deep') res.write('<d:response>')
      const chunk = filler[mode]
      const pour = () => {
        while (sent < cap && !res.destroyed) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pour)
        }
      }
      pour()
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(hostile.address() as { port: number }).port}/dav/`
    // Volume is refused whatever the time it takes to arrive; time, by a deadline of its own.
    const destination = new WebdavDestination({ url })
    const impatient = new WebdavDestination({ url, listingTimeoutMs: 2000 })
    const refused = (code: ErrorCode, why: RegExp) => (e: unknown) =>
      isCairnError(e, code) &&
      (e as Error).message.startsWith(`Backup destination webdav://${new URL(url).host}/dav/: `) &&
      why.test((e as Error).message)
    const cases: [Mode, ErrorCode, RegExp][] = [
      ['huge', 'DESTINATION_SERVER', /listing was refused: the listing is larger than 64 MiB/],
      [
        'many',
        'DESTINATION_SERVER',
        /listing was refused: the listing has more than 100,000 entries/,
      ],
      ['deep', 'DESTINATION_SERVER', /listing was refused: the listing's XML nests deeper than 32/],
      ['entities', 'DESTINATION_SERVER', /listing was refused: the listing declares a DOCTYPE/],
      ['trickle', 'DESTINATION_TIMEOUT', /listing of the folder did not end within 2 s/],
      ['silent', 'DESTINATION_TIMEOUT', /listing of the folder did not end within 2 s/],
    ]
    try {
      for (const [which, code, why] of cases) {
        mode = which
        sent = 0
        hungUp = false
        const listing = (which === 'trickle' || which === 'silent' ? impatient : destination).list()
        await expect(within(listing, which, 20_000)).rejects.toSatisfy(refused(code, why))
        // Cairn hung up rather than read on: the server did not get to send much more than the limit.
        await within(
          until(() => hungUp),
          `${which}: the client hanging up`,
          5_000,
        )
        expect(sent, which).toBeLessThan(80 << 20)
      }
    } finally {
      await destination.close()
      await impatient.close()
      hostile.closeAllConnections()
      await new Promise<void>((resolve) => hostile.close(() => resolve()))
    }
  })
})

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

/**
 * Before a backup's upload, Cairn asks a Nextcloud whether it offers
 * chunked upload, and asks any server once which login it wants. Those
 * answers are small; a server that sends their head and then trickles, or
 * pours, the body without end used to hold a connection for as long as it
 * went on (and, once the connections ran out, the backup). The exchange
 * must end within its deadline and size, naming the destination.
 */
describe('a hostile WebDAV server answering the chunked-upload probe or the login check', () => {
  it('stops a trickling or endless answer to either and names the destination', async () => {
    type Target = 'probe' | 'login'
    type Mode = 'trickle' | 'huge'
    let target: Target = 'probe'
    let mode: Mode = 'trickle'
    let sent = 0
    let hungUp = false
    const cap = 64 << 20
    const collection = (href: string) =>
      `<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>${href}</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`
    const hostile = createServer((req, res) => {
      req.resume()
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const isBase = path === '/dav/' || path === '/remote.php/dav/files/ann/backups/'
      const isUploads = path === '/remote.php/dav/uploads/ann/'
      const attacked =
        req.method === 'PROPFIND' &&
        ((target === 'probe' && isUploads) || (target === 'login' && isBase))
      if (!attacked) {
        if (req.method === 'PROPFIND' && (isBase || isUploads)) {
          res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' })
          res.end(collection(path))
        } else if (req.method === 'PROPFIND') res.writeHead(404).end()
        else res.writeHead(req.method === 'OPTIONS' ? 200 : 201, { dav: '1, 2' }).end()
        return
      }
      res.on('close', () => (hungUp = true))
      res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' })
      res.write('<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:">')
      if (mode === 'trickle') {
        const timer = setInterval(() => {
          sent++
          res.write(' ')
        }, 50)
        res.on('close', () => clearInterval(timer))
        return
      }
      const chunk = Buffer.alloc(64 << 10, ' ')
      const pour = () => {
        while (sent < cap && !res.destroyed) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pour)
        }
      }
      pour()
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`
    const cases: [Target, Mode, ErrorCode, RegExp][] = [
      [
        'probe',
        'trickle',
        'DESTINATION_TIMEOUT',
        /answer when Cairn tried to ask for Nextcloud's chunked upload did not end within 1 s/,
      ],
      [
        'probe',
        'huge',
        'DESTINATION_SERVER',
        /answer when Cairn tried to ask for Nextcloud's chunked upload is larger than 1 MiB/,
      ],
      ['login', 'trickle', 'DESTINATION_TIMEOUT', /check the login did not end within 1 s/],
      ['login', 'huge', 'DESTINATION_SERVER', /check the login is larger than 1 MiB/],
    ]
    try {
      for (const [which, how, code, why] of cases) {
        target = which
        mode = how
        sent = 0
        hungUp = false
        const path = which === 'probe' ? '/remote.php/dav/files/ann/backups/' : '/dav/'
        const destination = new WebdavDestination({
          url: `${origin}${path}`,
          answerTimeoutMs: 1000,
        })
        try {
          const started = destination.startBackup(new Date())
          await expect(within(started, `${which} ${how}`, 15_000)).rejects.toSatisfy(
            (e: unknown) =>
              isCairnError(e, code) &&
              (e as Error).message.startsWith(
                `Backup destination webdav://${new URL(origin).host}${path}: `,
              ) &&
              why.test((e as Error).message),
          )
          // Cairn hung up rather than kept the connection: the server stopped sending.
          await within(
            until(() => hungUp),
            `${which} ${how}: the client hanging up`,
            5_000,
          )
          expect(sent, `${which} ${how}`).toBeLessThan(8 << 20)
        } finally {
          await destination.close()
        }
      }
    } finally {
      hostile.closeAllConnections()
      await new Promise<void>((resolve) => hostile.close(() => resolve()))
    }
  })
})

/**
 * Through a relay that stops passing bytes on, at the step chosen: the
 * request's idle deadline (`timeoutMs`: no byte either way for that long)
 * ends each, naming the destination, with nothing complete-looking left.
 */
describe('a WebDAV server that stops answering', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>
  let seconds = 0
  const at = () => new Date(Date.UTC(2026, 5, 1, 0, 0, seconds++))
  beforeAll(async () => {
    relay = await startRelay(apache.port)
  })
  afterAll(async () => {
    await relay?.close()
  })
  const stalled = (): WebdavSettings =>
    settings('basic', { url: `https://127.0.0.1:${relay.port}/basic/`, timeoutMs: 1500 })
  const silent = (e: unknown) =>
    isCairnError(e, 'DESTINATION_TIMEOUT') &&
    (e as Error).message.startsWith(`Backup destination webdavs://127.0.0.1:${relay.port}/basic/: `)
  const noBackupLeft = async () => {
    const destination = new WebdavDestination(settings('basic'))
    await destination.cleanup()
    await destination.close()
    expect(
      readdirSync(apache.basicRoot).filter((n) => n.startsWith('cairn-backup-20260601')),
    ).toEqual([])
  }

  it('mid-upload (PUT) and at the commit (MOVE): fails within the deadline, nothing kept', async () => {
    const uploading = new WebdavDestination(stalled())
    try {
      const { error, ms } = await backupIntoStall(uploading, relay, {
        payloadBytes: 24 << 20,
        stallAfterBytes: 4 << 20,
        withinMs: 20_000,
        createdAt: at(),
      })
      expect(error).toSatisfy(silent)
      expect(ms).toBeLessThan(8_000)
    } finally {
      await uploading.close()
    }
    const store = new WebdavStore(stalled())
    stallBefore(store, 'claim', () => relay.stall())
    const committing = new FileStoreDestination(store)
    try {
      const { error, ms } = await backupIntoStall(committing, relay, {
        payloadBytes: 1 << 20,
        withinMs: 20_000,
        createdAt: at(),
      })
      expect(error).toSatisfy(silent)
      expect(ms).toBeLessThan(8_000)
    } finally {
      await committing.close()
    }
    await noBackupLeft()
  })
})

/**
 * A server (or something in front of it) that answers PUT and MOVE
 * with the right status and then a body that never ends. Before, each such
 * body was drained for as long as it came, keeping its connection; the
 * fifth request of a backup waited for a free connection for ever.
 */
describe('a WebDAV server whose answers to PUT and MOVE never end', () => {
  it('backs up all the same, dropping each such answer after 1 MiB', async () => {
    let sent = 0
    let endless = 0
    let open = 0
    const front = createServer((req, res) => {
      const headers: Record<string, string | string[] | undefined> = {
        ...req.headers,
        host: `127.0.0.1:${apache.port}`,
      }
      if (typeof headers.destination === 'string')
        headers.destination = headers.destination.replace(
          /^http:\/\/[^/]+/,
          `https://127.0.0.1:${apache.port}`,
        )
      const upstream = httpsRequest(
        {
          host: '127.0.0.1',
          port: apache.port,
          path: req.url,
          method: req.method,
          headers,
          ca: ca.certPem,
        },
        (answer) => {
          // A 204 has no body (Node's server drops what is written to it).
          if (!['PUT', 'MOVE', 'DELETE'].includes(req.method ?? '') || answer.statusCode === 204) {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
            return
          }
          answer.resume()
          const { 'content-length': _length, ...rest } = answer.headers
          res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-type': 'text/html' })
          endless++
          open++
          const chunk = Buffer.alloc(64 * 1024, 0x20)
          const more = () => {
            if (res.destroyed) return
            sent += chunk.length
            if (res.write(chunk)) setImmediate(more)
            else res.once('drain', more)
          }
          res.on('close', () => open--)
          more()
        },
      )
      upstream.on('error', () => res.destroy())
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    const port = (front.address() as { port: number }).port
    // Plain HTTP to loopback: a password may go there.
    const destination = new WebdavDestination(
      settings('basic', { url: `http://127.0.0.1:${port}/basic/`, ca: null }),
    )
    try {
      const payload = Buffer.alloc(3 << 20, 7)
      const name = await within(
        writeBackup(destination, new Date(Date.UTC(2026, 6, 1)), payload),
        'the backup past the endless answers',
        30_000,
      )
      const listed = await within(destination.list(), 'the listing', 15_000)
      expect(listed.find((b) => b.name === name)?.complete).toBe(true)
      await within(destination.remove(name), 'the removal', 15_000)
      expect(endless).toBeGreaterThanOrEqual(5)
      await within(
        until(() => open === 0),
        'every endless answer hung up on',
        10_000,
      )
      // About 1 MiB each, plus what the socket buffers held.
      expect(sent / endless).toBeLessThan(8 << 20)
    } finally {
      await destination.close()
      front.closeAllConnections()
      await new Promise<void>((resolve) => front.close(() => resolve()))
    }
  })
})

/**
 * A sidecar answered a byte now and then: the socket is never idle, so
 * only a deadline for the whole answer ends it. Before, one such sidecar
 * held a listing (which reads every sidecar) for as long as the server
 * kept trickling.
 */
describe('a WebDAV server trickling a sidecar', () => {
  it('stops reading it at the small answers’ deadline and names the destination', async () => {
    let hungUp = false
    const hostile = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      const timer = setInterval(() => res.write(' '), 50)
      res.on('close', () => {
        hungUp = true
        clearInterval(timer)
      })
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    const host = `127.0.0.1:${(hostile.address() as { port: number }).port}`
    const destination = new WebdavDestination({ url: `http://${host}/dav/`, answerTimeoutMs: 1000 })
    try {
      const started = Date.now()
      await expect(
        within(
          destination.readSidecar('cairn-backup-20260101T000000Z.tar.zst.age'),
          'the trickled sidecar',
          15_000,
        ),
      ).rejects.toSatisfy(
        (e: unknown) =>
          isCairnError(e, 'DESTINATION_TIMEOUT') &&
          (e as Error).message.startsWith(`Backup destination webdav://${host}/dav/: `) &&
          /did not end within 1 s/.test((e as Error).message),
      )
      expect(Date.now() - started).toBeLessThan(5_000)
      await within(
        until(() => hungUp),
        'the client hanging up',
        5_000,
      )
    } finally {
      await destination.close()
      hostile.closeAllConnections()
      await new Promise<void>((resolve) => hostile.close(() => resolve()))
    }
  })
})
