import { randomBytes } from 'node:crypto'
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'
import { addAbortSignal, Transform, Writable, type Readable } from 'node:stream'
import type { CairnError } from '../../../shared/errors.js'
import { isCairnError } from '../../../shared/errors.js'
import type { ByteRange } from '../destination.js'
import { destinationError, networkError } from '../destination-errors.js'
import { printable, type FileStore, type StoreEntry, type StoreWriter } from '../file-store.js'
import { withRetry } from '../retry.js'
import { DigestAuth, parseChallenge } from './digest.js'
import { ListingRefused, MultistatusParser, type DavResource } from './propfind.js'
import {
  discardAnswer,
  readWhole,
  SMALL_ANSWER_BYTES,
  SMALL_ANSWER_TIMEOUT_MS,
} from './small-answer.js'

export interface WebdavSettings {
  /** http(s)://host[:port]/path/ of the collection backups go into. */
  url: string
  user?: string | null
  password?: string | null
  /** PEM of a certificate authority to trust for this server, on top of the system's. */
  ca?: string | null
  timeoutMs?: number
  /** Chunk size for Nextcloud's chunked upload (bytes). */
  chunkBytes?: number
  /** The longest one listing (a PROPFIND and its whole answer) may take. */
  listingTimeoutMs?: number
  /** The longest a login check, the chunked-upload probe or the connection test's OPTIONS may take, answer and all. */
  answerTimeoutMs?: number
}

/** A Cairn folder lists in well under a second; a listing still coming after this is not going to end. */
const LISTING_TIMEOUT_MS = 5 * 60_000

interface Response {
  status: number
  headers: IncomingMessage['headers']
  body: IncomingMessage
}

/** An answer read whole (see `exchange`). */
interface SmallResponse {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/></d:prop></d:propfind>'

/** How requests authenticate, once the server said (null: not asked yet). */
type AuthScheme = 'basic' | 'digest' | 'none'

/**
 * A WebDAV collection (Apache mod_dav, nginx, NAS boxes, Nextcloud,
 * ownCloud). A backup is PUT under its temporary name, then MOVEd to its
 * real name with `Overwrite: F`, which the server refuses (412) when the
 * name exists: it never replaces a backup. Where the server is a Nextcloud
 * offering chunked upload (v2), the data goes in chunks that are each
 * retried on failure, assembled by the server under the temporary name.
 * Passwords are sent only over TLS (or to this machine).
 */
export class WebdavStore implements FileStore {
  readonly kind = 'webdav' as const
  readonly label: string
  private readonly base: URL
  private readonly agent: HttpAgent
  private digest: DigestAuth | null = null
  private scheme: AuthScheme | null = null
  private chunking: Promise<URL | null> | null = null

  constructor(private readonly settings: WebdavSettings) {
    const base = new URL(settings.url)
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    base.username = ''
    base.password = ''
    base.search = ''
    base.hash = ''
    this.base = base
    this.label = `${base.protocol === 'https:' ? 'webdavs' : 'webdav'}://${base.host}${decodeURI(base.pathname)}`
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)
    if (base.protocol === 'http:' && settings.password && !loopback) {
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        'a password would travel unencrypted over plain HTTP. Use webdavs:// (HTTPS).',
      )
    }
    this.agent =
      base.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets: 4,
            ...(settings.ca ? { ca: [...rootCertificates, settings.ca] } : {}),
          })
        : new HttpAgent({ keepAlive: true, maxSockets: 4 })
  }

  async list(): Promise<StoreEntry[]> {
    const resources = await this.propfind(this.base, '1')
    const basePath = decodeURIComponent(this.base.pathname)
    const entries: StoreEntry[] = []
    for (const resource of resources) {
      if (!resource.path.startsWith(basePath)) continue
      let name = resource.path.slice(basePath.length)
      if (resource.isCollection && name.endsWith('/')) name = name.slice(0, -1)
      // Only direct children with plain names: anything else in a listing is not ours to read.
      // eslint-disable-next-line no-control-regex -- control characters are what is refused
      if (!name || name.includes('/') || /[\0-\x1f]/.test(name)) continue
      entries.push({
        name,
        size: resource.size,
        isFile: !resource.isCollection,
        modifiedAt: resource.modifiedAt,
      })
    }
    return entries
  }

  async stat(name: string): Promise<StoreEntry | null> {
    try {
      const [resource] = await this.propfind(this.url(name), '0')
      if (!resource) return null
      return {
        name,
        size: resource.size,
        isFile: !resource.isCollection,
        modifiedAt: resource.modifiedAt,
      }
    } catch (error) {
      if (isCairnError(error, 'DESTINATION_MISSING')) return null
      throw error
    }
  }

  async create(name: string): Promise<StoreWriter | 'taken'> {
    const target = this.url(name)
    if ((await this.stat(name)) !== null) return 'taken'
    const chunked = await this.chunkedUploads()
    if (chunked) return this.chunkedWriter(chunked, target)
    await this.ensureAuth()
    const request = this.open('PUT', target, {
      'Content-Type': 'application/octet-stream',
      'If-None-Match': '*',
    })
    const answered = this.answer(request, 'upload the backup')
    answered.catch(() => undefined)
    // The request body, with its failures (a lost connection) typed like every other.
    const body = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, done) {
        if (request.write(chunk)) done()
        else request.once('drain', () => done())
      },
      final(done) {
        request.end(() => done())
      },
      destroy(error, done) {
        // Destroyed after a clean finish too (autoDestroy): the answer is still to be read then.
        if (error && !request.destroyed) request.destroy()
        done(error)
      },
    })
    answered.then(
      (response) => {
        // Refused on the way (507 full, 403, 401 …): stop sending, and say why.
        if (response.status >= 300 && response.status !== 412) {
          try {
            this.expect(response, [200, 201, 204], 'upload the backup')
          } catch (error) {
            body.destroy(error as Error)
          }
        }
      },
      (error: unknown) => body.destroy(error as Error),
    )
    const done = async () => {
      const response = await answered
      this.letGo(response.body)
      if (response.status === 412)
        throw destinationError(
          'DESTINATION_CONFLICT',
          this.label,
          'the temporary name was taken meanwhile.',
        )
      this.expect(response, [200, 201, 204], 'upload the backup')
    }
    return { stream: body, done }
  }

  async claim(from: string, to: string): Promise<'claimed' | 'taken'> {
    const response = await this.send('MOVE', this.url(from), {
      Destination: this.url(to).href,
      Overwrite: 'F',
    })
    this.letGo(response.body)
    if (response.status === 412) return 'taken'
    this.expect(response, [201, 204], 'name the backup')
    return 'claimed'
  }

  async writeSmall(name: string, data: Buffer): Promise<void> {
    const temp = `${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    await withRetry(async () => {
      const put = await this.send(
        'PUT',
        this.url(temp),
        { 'Content-Type': 'application/octet-stream' },
        data,
      )
      this.letGo(put.body)
      this.expect(put, [200, 201, 204], 'write a file')
    })
    const moved = await this.send('MOVE', this.url(temp), {
      Destination: this.url(name).href,
      Overwrite: 'T',
    })
    this.letGo(moved.body)
    if (moved.status >= 300) await this.remove(temp)
    this.expect(moved, [201, 204], 'replace a file')
  }

  /**
   * A small file (a sidecar), within `limit` bytes and one deadline for
   * the exchange: the socket's idle timeout never fired on a server that
   * trickled a byte now and then, and a listing reads every sidecar.
   */
  async readSmall(name: string, limit: number): Promise<Buffer | null> {
    const limitMs = this.settings.answerTimeoutMs ?? SMALL_ANSWER_TIMEOUT_MS
    const deadline = AbortSignal.timeout(limitMs)
    try {
      const response = await withRetry(
        () => this.send('GET', this.url(name), {}, undefined, deadline),
        { signal: deadline },
      )
      if (response.status === 404) {
        this.letGo(response.body)
        return null
      }
      this.expect(response, [200], 'read a file')
      const declared = Number(response.headers['content-length'] ?? 0)
      if (declared > limit) {
        response.body.destroy()
        return null
      }
      return await readWhole(addAbortSignal(deadline, response.body), limit)
    } catch (error) {
      if (!deadline.aborted) throw isCairnError(error) ? error : this.failure(error, 'read a file')
      throw destinationError(
        'DESTINATION_TIMEOUT',
        this.label,
        `the server's answer when Cairn tried to read ${printable(name)} did not end within ${limitMs / 1000} s. Cairn stopped waiting for it. Check the network, or try again later.`,
        error,
      )
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    const headers: Record<string, string> = range
      ? { Range: `bytes=${range.start}-${range.end ?? ''}` }
      : {}
    const response = await withRetry(() => this.send('GET', this.url(name), headers))
    if (response.status === 404) {
      this.letGo(response.body)
      throw destinationError(
        'DESTINATION_MISSING',
        this.label,
        `there is no backup ${printable(name)}.`,
      )
    }
    this.expect(response, range ? [200, 206] : [200], 'read a backup')
    if (range && response.status === 200) return response.body.pipe(slice(range)) // the server ignored Range
    return response.body
  }

  async remove(name: string): Promise<void> {
    const response = await withRetry(() => this.send('DELETE', this.url(name)))
    this.letGo(response.body)
    if (response.status === 404) return
    this.expect(response, [200, 204], 'delete a file')
  }

  async probe(): Promise<Record<string, string>> {
    const options = await this.exchange('OPTIONS', this.base, {}, undefined, 'reach the server')
    this.expect(options, [200, 204], 'reach the server')
    const [self] = await this.propfind(this.base, '0')
    if (!self?.isCollection)
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        'this address is not a WebDAV folder (collection).',
      )
    const chunked = await this.chunkedUploads()
    return {
      server: String(options.headers.server ?? 'unknown'),
      dav: String(options.headers.dav ?? ''),
      auth: this.scheme ?? 'none',
      chunkedUpload: chunked ? 'Nextcloud chunking v2' : 'no (single PUT)',
    }
  }

  async close(): Promise<void> {
    this.agent.destroy()
  }

  /**
   * Nextcloud's chunked upload (v2) is offered when the folder lives under
   * /remote.php/dav/files/<user>/ and the user's uploads collection answers.
   * An answer that does not end in time, or grows past a small answer's
   * size, fails the backup (naming the destination) rather than holding it.
   */
  chunkedUploads(): Promise<URL | null> {
    this.chunking ??= (async () => {
      const match = /^(.*\/remote\.php\/dav)\/files\/([^/]+)\//.exec(this.base.pathname)
      if (!match) return null
      const uploads = new URL(`${match[1]}/uploads/${match[2]}/`, this.base)
      try {
        const response = await this.exchange(
          'PROPFIND',
          uploads,
          { Depth: '0', 'Content-Type': 'application/xml' },
          Buffer.from(PROPFIND_BODY),
          "ask for Nextcloud's chunked upload",
        )
        return response.status === 207 ? uploads : null
      } catch (error) {
        // A server that answers (too slowly, or too much) is not one to upload to either.
        if (isCairnError(error, 'DESTINATION_TIMEOUT') || isCairnError(error, 'DESTINATION_SERVER'))
          throw error
        return null
      }
    })()
    // A failure is not kept: the next backup through this store asks again.
    this.chunking.catch(() => (this.chunking = null))
    return this.chunking
  }

  private chunkedWriter(uploads: URL, target: URL): StoreWriter {
    const chunkBytes = this.settings.chunkBytes ?? 16 << 20
    const folder = new URL(`cairn-${randomBytes(8).toString('hex')}/`, uploads)
    const destination = { Destination: target.href }
    let started: Promise<void> | null = null
    let chunk: Buffer[] = []
    let filled = 0
    let number = 0
    const start = () =>
      (started ??= (async () => {
        const made = await this.send('MKCOL', folder, destination)
        this.letGo(made.body)
        this.expect(made, [201], 'start a chunked upload')
      })())
    const sendChunk = async () => {
      await start()
      const body = Buffer.concat(chunk, filled)
      chunk = []
      filled = 0
      const url = new URL(String(++number).padStart(5, '0'), folder)
      // Each chunk is whole in memory: it can be sent again after a network failure.
      await withRetry(async () => {
        const put = await this.send('PUT', url, { ...destination, 'OC-Total-Length': '0' }, body)
        this.letGo(put.body)
        this.expect(put, [201, 204], 'upload a chunk')
      })
    }
    let settle!: { resolve: () => void; reject: (e: unknown) => void }
    const durable = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    durable.catch(() => undefined)
    const stream = new Writable({
      write: (data: Buffer, _encoding, done) => {
        ;(async () => {
          let offset = 0
          while (offset < data.length) {
            const n = Math.min(chunkBytes - filled, data.length - offset)
            chunk.push(data.subarray(offset, offset + n))
            filled += n
            offset += n
            if (filled === chunkBytes) await sendChunk()
          }
        })().then(() => done(), done)
      },
      final: (done) => {
        ;(async () => {
          if (filled > 0 || number === 0) await sendChunk()
          const assembled = await this.send('MOVE', new URL('.file', folder), {
            ...destination,
            Overwrite: 'F',
          })
          this.letGo(assembled.body)
          this.expect(assembled, [201, 204], 'assemble the chunked upload')
        })().then(
          () => {
            settle.resolve()
            done()
          },
          (error: unknown) => {
            settle.reject(error)
            void this.send('DELETE', folder).then(
              (r) => this.letGo(r.body),
              () => undefined,
            )
            done(error as Error)
          },
        )
      },
    })
    return { stream, done: () => durable }
  }

  /** An answer's body not kept: drained within a small answer's bounds, else its connection dropped. */
  private letGo(body: IncomingMessage): void {
    discardAnswer(
      body,
      SMALL_ANSWER_BYTES,
      this.settings.answerTimeoutMs ?? SMALL_ANSWER_TIMEOUT_MS,
    )
  }

  private url(name: string): URL {
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (!name || name === '.' || name === '..' || /[/\\\0-\x1f]/.test(name))
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        `refusing the name "${printable(name)}".`,
      )
    return new URL(encodeURIComponent(name), this.base)
  }

  /**
   * A PROPFIND and its multistatus, read as it arrives within the parser's
   * limits and within one deadline for the whole exchange: the request's
   * idle timeout never fires on a server that trickles a byte now and then.
   */
  private async propfind(url: URL, depth: '0' | '1'): Promise<DavResource[]> {
    const limitMs = this.settings.listingTimeoutMs ?? LISTING_TIMEOUT_MS
    const deadline = AbortSignal.timeout(limitMs)
    try {
      const response = await withRetry(
        () =>
          this.send(
            'PROPFIND',
            url,
            { Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' },
            Buffer.from(PROPFIND_BODY),
            deadline,
          ),
        { signal: deadline },
      )
      if (response.status === 404) {
        this.letGo(response.body)
        throw destinationError(
          'DESTINATION_MISSING',
          this.label,
          'the folder does not exist on the server. Create it, or check the path.',
        )
      }
      this.expect(response, [207], 'list the folder')
      return await this.readMultistatus(addAbortSignal(deadline, response.body))
    } catch (error) {
      if (!deadline.aborted) throw error
      throw destinationError(
        'DESTINATION_TIMEOUT',
        this.label,
        `the server's listing of the folder did not end within ${limitMs / 1000} s. Cairn stopped reading it. Check the network, or try again later.`,
        error,
      )
    }
  }

  private async readMultistatus(body: IncomingMessage): Promise<DavResource[]> {
    const parser = new MultistatusParser()
    try {
      // Leaving the loop early (a refusal) destroys the body: the rest is never downloaded.
      for await (const part of body) parser.write(part as Buffer)
      return parser.end()
    } catch (error) {
      if (isCairnError(error) || !(error instanceof Error) || 'code' in error) {
        // The connection failed (or the deadline cut it): not the XML's fault.
        throw isCairnError(error) ? error : this.failure(error, 'list the folder')
      }
      throw destinationError(
        'DESTINATION_SERVER',
        this.label,
        error instanceof ListingRefused
          ? `the server's listing was refused: ${error.message}. Cairn stopped reading it. Check the address is a WebDAV folder for backups only.`
          : `the server's listing is not valid WebDAV XML (${error.message.split('\n')[0]}). Check the address is a WebDAV folder.`,
        error,
      )
    }
  }

  /** Learn which authentication the server wants before a streamed upload (which cannot be sent twice). */
  private async ensureAuth(): Promise<void> {
    if (this.scheme !== null) return
    const response = await this.exchange(
      'PROPFIND',
      this.base,
      { Depth: '0', 'Content-Type': 'application/xml' },
      Buffer.from(PROPFIND_BODY),
      'check the login',
    )
    this.expect(response, [207], 'list the folder')
  }

  /**
   * A request whose answer is small and read whole (a login check, the
   * chunked-upload probe, the connection test), within one deadline for
   * the exchange and a size cap. Resuming such a body instead, as before,
   * kept its connection busy for as long as a server trickled it: the
   * connections ran out and the backup waited for ever.
   */
  private async exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | undefined,
    action: string,
  ): Promise<SmallResponse> {
    const limitMs = this.settings.answerTimeoutMs ?? SMALL_ANSWER_TIMEOUT_MS
    const deadline = AbortSignal.timeout(limitMs)
    try {
      const response = await this.send(method, url, headers, body, deadline)
      const data = await readWhole(addAbortSignal(deadline, response.body), SMALL_ANSWER_BYTES)
      if (data === null)
        throw destinationError(
          'DESTINATION_SERVER',
          this.label,
          `the server's answer when Cairn tried to ${action} is larger than ${SMALL_ANSWER_BYTES >> 20} MiB, far more than such an answer holds. Cairn stopped reading it. Check the address is a WebDAV folder.`,
        )
      return { status: response.status, headers: response.headers, body: data }
    } catch (error) {
      if (!deadline.aborted) throw isCairnError(error) ? error : this.failure(error, action)
      throw destinationError(
        'DESTINATION_TIMEOUT',
        this.label,
        `the server's answer when Cairn tried to ${action} did not end within ${limitMs / 1000} s. Cairn stopped waiting for it. Check the network, or try again later.`,
        error,
      )
    }
  }

  /**
   * A request with a buffered body (or none): answered, after one
   * authentication round when asked. `signal` cuts it off while its answer's
   * head is awaited.
   */
  private async send(
    method: string,
    url: URL,
    headers: Record<string, string> = {},
    body?: Buffer,
    signal?: AbortSignal,
  ): Promise<Response> {
    for (let round = 0; ; round++) {
      const schemeSent = this.scheme
      signal?.throwIfAborted()
      const request = this.open(method, url, {
        ...headers,
        ...(body ? { 'Content-Length': String(body.length) } : {}),
      })
      const answer = this.answer(request, describeMethod(method))
      const abort = () => request.destroy(signal?.reason as Error)
      const release = () => signal?.removeEventListener('abort', abort)
      signal?.addEventListener('abort', abort, { once: true })
      request.end(body)
      const response = await answer.catch((error: unknown) => {
        release()
        throw error
      })
      // Until the answer's head is in; its body is the caller's to bound.
      if (response.status !== 401 || round > 0) {
        release()
        return response
      }
      // A 401's body is left to drain, cut off by the deadline too: a trickled one kept its connection.
      response.body.once('close', release)
      response.body.on('error', () => undefined)
      this.letGo(response.body)
      if (!this.learnChallenge(response, schemeSent)) return response
    }
  }

  /**
   * After a 401: whether to ask again with what it taught. Not when this very
   * request already carried Basic credentials (they are wrong); yes when it
   * carried none, even if another request learned the scheme meanwhile
   * (several requests go out at once before the first answer).
   */
  private learnChallenge(response: Response, schemeSent: AuthScheme | null): boolean {
    const { user, password } = this.settings
    if (!user || password == null) {
      throw destinationError(
        'DESTINATION_AUTH',
        this.label,
        'the server asks for a login. Give --user NAME and a password (cairn destination add … --password-stdin, or CAIRN_DESTINATION_PASSWORD).',
      )
    }
    const challenge = parseChallenge(response.headers['www-authenticate'])
    if (!challenge) return false
    const sentCredentials = schemeSent === 'basic' || schemeSent === 'digest'
    if (challenge === 'basic') this.scheme = 'basic'
    else {
      this.scheme = 'digest'
      this.digest = new DigestAuth(challenge, user, password)
    }
    return !sentCredentials || challenge !== 'basic'
  }

  private open(method: string, url: URL, headers: Record<string, string>): ClientRequest {
    const auth = this.authorization(method, url)
    const options = {
      method,
      agent: this.agent,
      headers: { ...headers, ...(auth ? { Authorization: auth } : {}), 'User-Agent': 'Cairn' },
      timeout: this.settings.timeoutMs ?? 60_000,
    }
    const request =
      url.protocol === 'https:' ? httpsRequest(url, options) : httpRequest(url, options)
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    )
    return request
  }

  private authorization(method: string, url: URL): string | null {
    const { user, password } = this.settings
    if (!user || password == null) return null
    if (this.scheme === 'basic')
      return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    if (this.scheme === 'digest' && this.digest) return this.digest.header(method, url.pathname)
    return null
  }

  private answer(request: ClientRequest, action: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      request.once('response', (body) =>
        resolve({ status: body.statusCode ?? 0, headers: body.headers, body }),
      )
      request.once('error', (error) => reject(this.failure(error, action)))
    })
  }

  private failure(error: unknown, action: string): CairnError {
    if (isCairnError(error)) return error
    return (
      networkError(this.label, error) ??
      destinationError(
        'DESTINATION_UNREACHABLE',
        this.label,
        `the request to ${action} failed (${(error as Error).message}).`,
        error,
      )
    )
  }

  private expect(response: Response | SmallResponse, ok: number[], action: string): void {
    const { status } = response
    if (ok.includes(status)) return
    if (!Buffer.isBuffer(response.body)) this.letGo(response.body)
    if (status === 401)
      throw destinationError(
        'DESTINATION_AUTH',
        this.label,
        'the server did not accept the user name and password. Check them (cairn destination add … --user NAME --password-stdin).',
      )
    if (status === 403)
      throw destinationError(
        'DESTINATION_DENIED',
        this.label,
        `the server does not allow this user to ${action} there (403). Check the folder's sharing and permissions.`,
      )
    if (status === 404 || status === 409)
      throw destinationError(
        'DESTINATION_MISSING',
        this.label,
        `the folder does not exist on the server (${status}, while trying to ${action}). Create it, or check the path.`,
      )
    if (status === 507 || status === 413)
      throw destinationError(
        'DESTINATION_FULL',
        this.label,
        `the server is out of space or over quota (${status}). The unfinished backup was removed; free space or prune old backups.`,
      )
    if (status >= 500)
      throw destinationError(
        'DESTINATION_SERVER',
        this.label,
        `the server failed (${status}) while Cairn tried to ${action}. Try again later.`,
      )
    throw destinationError(
      'DESTINATION_SERVER',
      this.label,
      `the server answered ${status} when Cairn tried to ${action}.`,
    )
  }
}

function describeMethod(method: string): string {
  return method === 'PUT'
    ? 'upload'
    : method === 'PROPFIND'
      ? 'list the folder'
      : method.toLowerCase()
}

/** The bytes of `range` out of a whole body (for servers that ignore Range). */
function slice(range: ByteRange): Transform {
  let offset = 0
  const end = range.end ?? Number.POSITIVE_INFINITY
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const from = Math.max(0, range.start - offset)
      const to = Math.min(chunk.length, end + 1 - offset)
      offset += chunk.length
      done(null, from < to ? chunk.subarray(from, to) : undefined)
    },
  })
}
