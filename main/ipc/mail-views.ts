import { randomBytes } from 'node:crypto'
import { prepareMailHtml } from '../mail/mail-html.js'
import type { MailService } from '../mail/mail-service.js'
import type { MessageDetail } from '../mail/types.js'
import { safeFileName } from '../mail/attachment-files.js'
import { inlineImageUrls, renderMailFrame } from '../mail/mail-frame.js'
import type { MessageView } from './services/mail.js'

/** How many opened messages keep a working frame address (older ones answer 404). */
const VIEW_LIMIT = 64

/** Inline images larger than this are not served (a broken image rather than a memory spike). */
export const INLINE_IMAGE_MAX_BYTES = 32 * 1024 * 1024

/** Image types an inline part may be served as; anything else is not an image to the frame. */
const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/svg+xml',
])

/** Attachments larger than this are not served for download (the outbox caps what is sent at less). */
const DOWNLOAD_MAX_BYTES = 200 * 1024 * 1024

/** An unguessable view id: 128 random bits, URL-safe. */
const VIEW_ID = /^[A-Za-z0-9_-]{22}$/

/**
 * What a mail frame may load, per opened message. Opening a message mints
 * a capability: a random view id that names the message in the frame's
 * address (`/mail/<view>/frame`) and in its inline images'
 * (`/mail/<view>/inline/<attachment>`). Both hosts serve these paths only
 * for ids minted here, so another page on the machine (the browser build
 * listens on loopback) cannot read mail by guessing message numbers.
 */
export class MailViews {
  /** view id → message id, oldest first (a Map keeps insertion order). */
  private readonly views = new Map<string, number>()

  constructor(
    private readonly mail: Pick<MailService, 'getMessage' | 'attachmentContent'>,
    private readonly limit = VIEW_LIMIT,
  ) {}

  /** The message as the reader shows it, with a fresh frame address for its body. */
  present(detail: MessageDetail): MessageView {
    const { html, ...rest } = detail
    const viewId = randomBytes(16).toString('base64url')
    this.views.set(viewId, detail.id)
    for (const oldest of this.views.keys()) {
      if (this.views.size <= this.limit) break
      this.views.delete(oldest)
    }
    const frameUrl = `/mail/${viewId}/frame`
    const attachmentUrls: Record<number, string> = {}
    for (const a of detail.attachments) attachmentUrls[a.id] = `/mail/${viewId}/attachment/${a.id}`
    if (html === null) return { ...rest, html: null, textFrameUrl: frameUrl, attachmentUrls }
    const { hasRemoteContent } = prepareMailHtml(html, {
      inlineImageUrl: inlineImageUrls(viewId, detail.attachments),
    })
    return {
      ...rest,
      html: { frameUrl, frameUrlWithRemote: `${frameUrl}?remote=1`, hasRemoteContent },
      textFrameUrl: null,
      attachmentUrls,
    }
  }

  /**
   * The frame document of view `viewId`: the cleaned HTML, or the plain
   * text as HTML, both with the reader's typography (mail/mail-frame.ts);
   * null for an unknown view.
   */
  async document(viewId: string): Promise<string | null> {
    const messageId = this.messageOf(viewId)
    if (messageId === null) return null
    return renderMailFrame(await this.mail.getMessage(messageId), viewId)
  }

  /** An attachment of view `viewId`'s message, to download (the browser build). */
  attachment(viewId: string, attachmentId: number): { filename: string; bytes: Buffer } | null {
    const messageId = this.messageOf(viewId)
    if (messageId === null) return null
    const part = this.mail.attachmentContent(messageId, attachmentId, DOWNLOAD_MAX_BYTES)
    return part ? { filename: safeFileName(part.filename), bytes: part.bytes } : null
  }

  /** An inline image of view `viewId`'s message, or null if it has no such image part. */
  inlineImage(viewId: string, attachmentId: number): { mimeType: string; bytes: Buffer } | null {
    const messageId = this.messageOf(viewId)
    if (messageId === null) return null
    const part = this.mail.attachmentContent(messageId, attachmentId, INLINE_IMAGE_MAX_BYTES)
    if (!part || part.contentId === null) return null
    const mimeType = part.mimeType.toLowerCase().split(';')[0]?.trim() ?? ''
    return IMAGE_TYPES.has(mimeType) ? { mimeType, bytes: part.bytes } : null
  }

  /** Forget every view (the profile was replaced: message ids now name other messages). */
  forgetAll(): void {
    this.views.clear()
  }

  private messageOf(viewId: string): number | null {
    return VIEW_ID.test(viewId) ? (this.views.get(viewId) ?? null) : null
  }
}
