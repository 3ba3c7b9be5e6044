import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { rootCertificates, type TLSSocket } from 'node:tls'
import { adoptAttachmentFile } from '../mail/attachment-store.js'
import { cutToUnits } from '../shared/cut-text.js'
import { CairnError } from '../shared/errors.js'
import type { TlsTrust } from './xmpp/transport.js'
import { normaliseFingerprint } from './xmpp/transport.js'

/**
 * A file name that is safe to show and to save: no folders, no control or
 * bidirectional-override characters, no names Windows reserves, no leading
 * dots, at most 120 characters (keeping the extension). Whatever a contact
 * or a URL says, the result is one plain file name.
 */
export function safeFileName(input: string): string {
  let name = input.normalize('NFC')
  name = name.split(/[/\\]/).pop() ?? ''
  name = name.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    '',
  )
  name = name.replace(/[<>:"|?*]/g, '_').trim()
  name = name.replace(/^\.+/, '').replace(/[. ]+$/, '')
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) name = `_${name}`
  if (name.length > 120) {
    const dot = name.lastIndexOf('.')
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : ''
    name = cutToUnits(name, 120 - ext.length) + ext
  }
  return name || 'file'
}

/** The file name a download URL suggests (its last path segment, decoded), made safe. */
export function fileNameFromUrl(url: string): string {
  try {
    const path = new URL(url).pathname
    const last = path.split('/').filter(Boolean).pop() ?? ''
    return safeFileName(decodeURIComponent(last))
  } catch {
    return 'file'
  }
}

/**
 * An upload slot's address Cairn may use and give to a contact: https only,
 * as written (no spaces or control characters, which the URL parser would
 * silently drop or encode), and short enough for the contact's Cairn to
 * accept (incoming out-of-band URLs over 4096 characters are dropped).
 */
export function isHttpsUrl(value: string): boolean {
  if (value.length > 4096 || /[\s\p{Cc}]/u.test(value)) return false
  try {
    return new URL(value).protocol === 'https:'
  } catch {
    return false
  }
}

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp4: 'video/mp4',
  ogg: 'audio/ogg',
  m4a: 'audio/mp4',
}

export function mimeTypeOf(name: string): string {
  const ext = name.split('.').pop()?.toLowerCase() ?? ''
  return TYPES[ext] ?? 'application/octet-stream'
}

function tlsOptions(trust: TlsTrust) {
  return {
    ca: trust.ca ? [...rootCertificates, trust.ca] : undefined,
    // A pinned certificate is checked by fingerprint below instead of the CA chain.
    rejectUnauthorized: !trust.trustedFingerprint,
    minVersion: 'TLSv1.2' as const,
  }
}

function checkPin(socket: TLSSocket, trust: TlsTrust): void {
  if (!trust.trustedFingerprint || socket.authorized) return
  const peer = socket.getPeerX509Certificate()
  if (
    !peer ||
    normaliseFingerprint(peer.fingerprint256) !== normaliseFingerprint(trust.trustedFingerprint)
  )
    socket.destroy(new Error('certificate not trusted'))
}

/**
 * PUT a file to an upload slot (XEP-0363): HTTPS only, with the slot's
 * allowed headers. The file is streamed from disk, never held in memory,
 * and copied on the way into the attachment store (under a temporary name,
 * renamed to its SHA-256 once the server accepted it), so the sender keeps
 * exactly the bytes that were sent.
 */
export function uploadToSlot(
  putUrl: string,
  headers: Record<string, string>,
  file: { path: string; size: number },
  contentType: string,
  trust: TlsTrust,
  attachmentsDir: string,
): Promise<{ sha256: string; size: number }> {
  const url = new URL(putUrl)
  if (url.protocol !== 'https:')
    return Promise.reject(
      new CairnError(
        'CHAT_UPLOAD_FAILED',
        'The server offered an unencrypted upload address; the file was not sent.',
      ),
    )
  mkdirSync(attachmentsDir, { recursive: true, mode: 0o700 })
  const tmp = join(attachmentsDir, `.upload.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  const hash = createHash('sha256')
  const copy = createWriteStream(tmp, { mode: 0o600 })
  let sent = 0
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length
      hash.update(chunk)
      if (copy.write(chunk)) done(null, chunk)
      else copy.once('drain', () => done(null, chunk))
    },
  })
  const source = createReadStream(file.path)
  return new Promise<{ sha256: string; size: number }>((resolve, reject) => {
    let settled = false
    const fail = (message: string) => {
      if (settled) return
      settled = true
      source.destroy()
      copy.destroy()
      rmSync(tmp, { force: true })
      reject(new CairnError('CHAT_UPLOAD_FAILED', message))
    }
    const req = httpsRequest(
      url,
      {
        method: 'PUT',
        headers: {
          ...headers,
          'content-type': contentType,
          'content-length': String(file.size),
        },
        ...tlsOptions(trust),
        timeout: 60_000,
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) {
            fail(`The upload server answered ${res.statusCode}; the file was not sent.`)
            return
          }
          if (sent !== file.size) {
            fail('The file changed while it was being sent; send it again.')
            return
          }
          copy.end(() => {
            if (settled) return
            const sha256 = hash.digest('hex')
            try {
              adoptAttachmentFile(attachmentsDir, sha256, tmp)
            } catch (error) {
              fail(`The file was sent but no copy could be kept (${(error as Error).message}).`)
              return
            }
            settled = true
            resolve({ sha256, size: sent })
          })
        })
      },
    )
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => checkPin(socket as TLSSocket, trust)),
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) => fail(`The file could not be uploaded (${error.message}).`))
    source.on('error', (error) => {
      req.destroy()
      fail(`The file could not be read (${error.message}).`)
    })
    copy.on('error', (error) => {
      req.destroy()
      fail(`The file could not be copied into the profile (${error.message}).`)
    })
    source.pipe(tee).pipe(req)
  })
}

/**
 * Download a shared file into the content-addressed attachment store:
 * HTTPS only, at most `maxBytes`, written to a temporary name and renamed
 * to its SHA-256, so a cut download leaves nothing under a real name.
 */
export function downloadToStore(
  url: string,
  attachmentsDir: string,
  maxBytes: number,
  trust: TlsTrust,
): Promise<{ sha256: string; size: number }> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Promise.reject(
      new CairnError('INVALID_ARGUMENT', 'The shared file has no valid address.'),
    )
  }
  if (parsed.protocol !== 'https:')
    return Promise.reject(
      new CairnError('INVALID_ARGUMENT', 'Only files shared over HTTPS are downloaded.'),
    )
  // Private like the rest of the profile (the upload path above does the same); without a mode
  // the folder would follow the umask (0755, or 0777 under umask 000).
  mkdirSync(attachmentsDir, { recursive: true, mode: 0o700 })
  const tmp = join(attachmentsDir, `.download.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      rmSync(tmp, { force: true })
      reject(new CairnError('CHAT_UPLOAD_FAILED', message))
    }
    const req = httpsRequest(
      parsed,
      { method: 'GET', ...tlsOptions(trust), timeout: 60_000 },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          fail(`The file server answered ${res.statusCode}.`)
          return
        }
        const declared = Number(res.headers['content-length'] ?? NaN)
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.destroy()
          fail(`The file is larger than ${maxBytes} bytes; it was not downloaded.`)
          return
        }
        const hash = createHash('sha256')
        const out = createWriteStream(tmp, { mode: 0o600 })
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBytes) {
            res.destroy()
            out.destroy()
            fail(`The file is larger than ${maxBytes} bytes; it was not downloaded.`)
            return
          }
          hash.update(chunk)
        })
        res.pipe(out)
        res.on('error', () => fail('The download was cut off.'))
        out.on('finish', () => {
          if (size > maxBytes) return
          if (!res.complete) {
            fail('The download was cut off.')
            return
          }
          const sha256 = hash.digest('hex')
          try {
            adoptAttachmentFile(attachmentsDir, sha256, tmp)
            resolve({ sha256, size })
          } catch (error) {
            fail(`The file could not be stored (${(error as Error).message}).`)
          }
        })
      },
    )
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => checkPin(socket as TLSSocket, trust)),
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) => fail(`The file could not be downloaded (${error.message}).`))
    req.end()
  })
}
