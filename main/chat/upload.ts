import { statSync } from 'node:fs'
import { basename } from 'node:path'
import { CairnError, isCairnError } from '../shared/errors.js'
import { isHttpsUrl, mimeTypeOf, safeFileName, uploadToSlot } from './files.js'
import { uploadSlotRequest } from './protocol/outgoing.js'
import { NS } from './xmpp/namespaces.js'
import type { XmppSession } from './xmpp/session.js'
import type { TlsTrust } from './xmpp/transport.js'
import { el } from './xmpp/xml.js'

export interface Uploaded {
  /** Where the recipient downloads it (the slot's GET URL). */
  url: string
  name: string
  type: string
  /** The copy kept in the attachment store. */
  sha256: string
  size: number
}

/**
 * HTTP upload (XEP-0363): find the server's upload service, ask it for a
 * slot for this file, PUT the bytes over HTTPS. The file name is made safe
 * first; only the headers XEP-0363 allows are passed on to the PUT.
 */
export class Uploader {
  private service: string | null = null

  constructor(
    private readonly session: XmppSession,
    private readonly domain: string,
    private readonly trust: TlsTrust,
  ) {}

  /**
   * Upload the file at `path` (streamed, never read whole), keeping a copy
   * in `attachmentsDir`; `displayName` names it when the path does not
   * (a file the browser build sent in chunks).
   */
  async upload(path: string, attachmentsDir: string, displayName?: string): Promise<Uploaded> {
    const stat = statSync(path)
    if (!stat.isFile()) throw new CairnError('INVALID_ARGUMENT', 'Only a file can be sent.')
    const size = stat.size
    const name = safeFileName(displayName ?? basename(path))
    const type = mimeTypeOf(name)
    const service = await this.findService(size)
    const slot = (await this.session.iq(uploadSlotRequest(service, { name, size, type }))).child(
      'slot',
      NS.upload,
    )
    const put = slot?.child('put')
    const putUrl = put?.attrs.url
    const url = slot?.child('get')?.attrs.url
    if (!put || !putUrl || !url)
      throw new CairnError(
        'CHAT_UPLOAD_FAILED',
        'The server did not give an upload address; the file was not sent.',
      )
    // The GET address is what the contact is sent and fetches: over plain HTTP the file
    // would cross the network readable by anyone on the way, and a scheme like file: or
    // javascript: is no download at all. Checked before a byte is uploaded.
    if (!isHttpsUrl(url))
      throw new CairnError(
        'CHAT_UPLOAD_FAILED',
        'The server offered a download address that is not HTTPS; the file was not sent.',
      )
    if (!isHttpsUrl(putUrl))
      throw new CairnError(
        'CHAT_UPLOAD_FAILED',
        'The server offered an unencrypted upload address; the file was not sent.',
      )
    const headers: Record<string, string> = {}
    for (const header of put.elements('header')) {
      const headerName = header.attrs.name ?? ''
      // XEP-0363 §5: only these may be passed on; anything else could smuggle credentials.
      if (/^(authorization|cookie|expires)$/i.test(headerName))
        headers[headerName] = header.text().replace(/[\r\n]/g, '')
    }
    const kept = await uploadToSlot(
      putUrl,
      headers,
      { path, size },
      type,
      this.trust,
      attachmentsDir,
    )
    return { url, name, type, ...kept }
  }

  private async findService(size: number): Promise<string> {
    if (this.service) return this.service
    const query = (to: string, xmlns: string) =>
      this.session.iq(el('iq', { type: 'get', to }, el('query', { xmlns })))
    const items = await query(this.domain, NS.discoItems)
    const candidates = [
      this.domain,
      ...(items.child('query', NS.discoItems)?.elements('item') ?? []).map(
        (i) => i.attrs.jid ?? '',
      ),
    ]
    for (const jid of candidates.filter(Boolean).slice(0, 50)) {
      try {
        const info = (await query(jid, NS.discoInfo)).child('query', NS.discoInfo)
        if (!info?.elements('feature').some((f) => f.attrs.var === NS.upload)) continue
        const max = info
          .elements('x', NS.dataForms)
          .flatMap((x) => x.elements('field'))
          .find((f) => f.attrs.var === 'max-file-size')
          ?.childText('value')
        if (max && Number(max) < size)
          throw new CairnError(
            'CHAT_UPLOAD_FAILED',
            `The file is larger than the server accepts (${max} bytes).`,
          )
        this.service = jid
        return jid
      } catch (error) {
        if (isCairnError(error, 'CHAT_UPLOAD_FAILED')) throw error
      }
    }
    throw new CairnError(
      'CHAT_UPLOAD_FAILED',
      `The chat server ${this.domain} offers no file upload (XEP-0363).`,
    )
  }
}
