import { isSafeExternalUrl } from '../shared/external-links.js'
import { escapeHtml } from './compose/reply.js'
import { prepareMailHtml } from './mail-html.js'
import type { AttachmentView, MessageDetail } from './types.js'

/** Plain text shown in the reader at most; the rest is in "View source" (a 10 MB line must not freeze the window). */
export const MAX_SHOWN_TEXT = 256 * 1024

/**
 * The reader's typography, for HTML and plain-text mail alike, so both
 * read the same: the mail's own CSS comes after it (and :where() gives
 * these rules no weight), so a designed newsletter keeps its look.
 */
const READER_CSS = `
:where(html) { color-scheme: light; }
:where(body) { margin: 16px 20px; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1d2430; overflow-wrap: anywhere; }
:where(img) { max-width: 100%; height: auto; }
:where(blockquote) { margin: 0.5em 0; padding-left: 0.9em; border-left: 3px solid #c9d2e0; color: #4a5568; }
:where(a) { color: #1f5fbf; }
.cairn-text { white-space: pre-wrap; margin: 0; font: inherit; }
.cairn-q1 { color: #3c6e47; } .cairn-q2 { color: #7a4e9c; } .cairn-q3 { color: #a0522d; }
.cairn-note { margin: 1em 0 0; padding: 0.5em 0.8em; border-radius: 6px; background: #f1f4f9; color: #4a5568; font-size: 13px; }
`

const HEAD = `<meta charset="utf-8"><meta name="referrer" content="no-referrer"><base target="_blank"><style>${READER_CSS}</style>`

/** Where inline (cid:) images of a view are served from. */
export function inlineImageUrls(
  viewId: string,
  attachments: AttachmentView[],
): (contentId: string) => string | null {
  const byContentId = new Map<string, number>()
  for (const a of attachments) {
    if (a.contentId && a.mimeType.toLowerCase().startsWith('image/'))
      byContentId.set(a.contentId, a.id)
  }
  return (contentId) => {
    const id = byContentId.get(contentId)
    return id === undefined ? null : `/mail/${viewId}/inline/${id}`
  }
}

/**
 * The document of a message's frame: its HTML cleaned (mail-html.ts) with
 * the reader's typography first, or its plain text as HTML with links made
 * clickable (only those the safe-link check accepts) and quoted lines
 * coloured by depth.
 */
export function renderMailFrame(
  detail: Pick<MessageDetail, 'html' | 'text' | 'attachments'>,
  viewId: string,
): string {
  if (detail.html !== null) {
    const { html } = prepareMailHtml(detail.html, {
      inlineImageUrl: inlineImageUrls(viewId, detail.attachments),
    })
    // The reader's rules go first in <head>, before anything of the mail's.
    return html.replace(/<head>/i, `<head><style>${READER_CSS}</style>`)
  }
  return textDocument(detail.text)
}

export function textDocument(text: string): string {
  const shown = text.length > MAX_SHOWN_TEXT ? text.slice(0, MAX_SHOWN_TEXT) : text
  const note =
    shown.length < text.length
      ? `<p class="cairn-note">This message is ${Math.round(text.length / 1024).toLocaleString('en-US')} KB of text; the first ${MAX_SHOWN_TEXT / 1024} KB are shown. "View source" has all of it.</p>`
      : ''
  return `<!doctype html><html><head>${HEAD}</head><body><div class="cairn-text">${textToHtml(shown)}</div>${note}</body></html>`
}

const URL_PATTERN = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi

/** Plain text as HTML: escaped, links made clickable, quoted lines marked by depth. */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const depth = /^(>\s?)+/.exec(line)?.[0].replace(/\s/g, '').length ?? 0
      const html = linkify(line)
      return depth > 0 ? `<span class="cairn-q${Math.min(depth, 3)}">${html}</span>` : html
    })
    .join('\n')
}

function linkify(line: string): string {
  let out = ''
  let last = 0
  for (const match of line.matchAll(URL_PATTERN)) {
    let url = match[0]
    // Punctuation after a link belongs to the sentence: "see https://x.org/a)."
    const trailing = /[.,;:!?)\]}'"]+$/.exec(url)?.[0] ?? ''
    if (trailing) url = url.slice(0, url.length - trailing.length)
    const start = match.index
    out += escapeHtml(line.slice(last, start))
    out += isSafeExternalUrl(url)
      ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(url)}</a>`
      : escapeHtml(url)
    last = start + url.length
  }
  return out + escapeHtml(line.slice(last))
}
