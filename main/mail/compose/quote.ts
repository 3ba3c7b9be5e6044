import { parse, serialize, type DefaultTreeAdapterTypes } from 'parse5'
import { dateFormatters, senderLabel } from '../../../common/dates.js'
import {
  cssLoadsRemote,
  LOADING_ATTRIBUTES,
  prepareMailHtml,
  SVG_LOADING_HREF,
} from '../mail-html.js'
import type { MessageDetail } from '../types.js'
import { escapeHtml, formatAddress, textToParagraphs } from './reply.js'

type Element = DefaultTreeAdapterTypes.Element
type ParentNode = DefaultTreeAdapterTypes.ParentNode

/** Larger HTML is quoted as its text (cleaning megabytes of markup is not worth a frozen window). */
const MAX_QUOTED_HTML = 2 * 1024 * 1024
/** Quoted text beyond this is cut, with a note. */
const MAX_QUOTED_TEXT = 1024 * 1024

/**
 * The body of a received message as it goes into a reply or a forward,
 * cleaned on this side (mail-html.ts: no script, frame, form, handler or
 * base; cid: images turned into data: URLs by `inlineImage`, remote images
 * replaced by their alt text, <style> dropped so no rule reaches the
 * editor's page, and nothing else left that loads from the network). The renderer runs DOMPurify over it again before the
 * editor takes it, and the editor keeps only what its schema knows.
 */
export function quotedBody(
  message: Pick<MessageDetail, 'html' | 'text'>,
  inlineImage: (contentId: string) => string | null,
): string {
  if (message.html !== null && message.html.length <= MAX_QUOTED_HTML) {
    const cleaned = prepareMailHtml(message.html, { inlineImageUrl: inlineImage }).html
    return bodyOf(cleaned)
  }
  const text =
    message.text.length > MAX_QUOTED_TEXT
      ? `${message.text.slice(0, MAX_QUOTED_TEXT)}\n[… the rest of the message is not quoted]`
      : message.text
  return textToParagraphs(text)
}

/** "On Tuesday, 3 March 2026 at 10:00, Alice <alice@example.com> wrote:" */
export function attribution(
  message: Pick<MessageDetail, 'date' | 'from'>,
  locale?: string,
): string {
  const when = dateFormatters(locale).fullDate(message.date)
  const who = message.from.address ? formatAddress(message.from) : senderLabel(message.from)
  return when ? `On ${when}, ${who} wrote:` : `${who} wrote:`
}

export function replyHtml(
  message: Pick<MessageDetail, 'date' | 'from'>,
  quoted: string,
  signature: string | null,
): string {
  return (
    `<p></p>${signatureBlock(signature)}` +
    `<p>${escapeHtml(attribution(message))}</p><blockquote>${quoted}</blockquote>`
  )
}

export function forwardHtml(
  message: Pick<MessageDetail, 'date' | 'from' | 'to' | 'cc' | 'subject'>,
  quoted: string,
  signature: string | null,
): string {
  const f = dateFormatters()
  const lines = [
    '---------- Forwarded message ----------',
    `From: ${formatAddress(message.from) || senderLabel(message.from)}`,
    ...(message.date ? [`Date: ${f.fullDate(message.date)}`] : []),
    `Subject: ${message.subject}`,
    ...(message.to.length ? [`To: ${message.to.map(formatAddress).join(', ')}`] : []),
    ...(message.cc.length ? [`Cc: ${message.cc.map(formatAddress).join(', ')}`] : []),
  ]
  return (
    `<p></p>${signatureBlock(signature)}` + `<p>${lines.map(escapeHtml).join('<br>')}</p>${quoted}`
  )
}

export function signatureBlock(signature: string | null): string {
  return signature ? `<p>-- </p>${signature}` : ''
}

/**
 * The inside of <body>, with remote images replaced by their alt text, <style>
 * gone, and every other remote load removed: srcset, background, poster, the
 * src of video, audio and input, SVG image hrefs, inline styles with url().
 * The reader's frame blocks these by CSP, but this HTML leaves the app: it is
 * the draft copied to the Drafts folder (before the editor has touched it) and
 * what a reply quotes, under the user's name, to clients that load them.
 */
function bodyOf(document: string): string {
  const tree = parse(document)
  const stack: ParentNode[] = [tree]
  let body: Element | null = null
  while (stack.length) {
    const node = stack.pop() as ParentNode
    for (const child of [...node.childNodes]) {
      if (!('tagName' in child)) continue
      const el = child as Element
      if (el.tagName === 'body') body = el
      if (el.tagName === 'style' || el.tagName === 'meta' || el.tagName === 'title') {
        node.childNodes.splice(node.childNodes.indexOf(child), 1)
        continue
      }
      if (el.tagName === 'img') {
        const src = el.attrs.find((a) => a.name === 'src')?.value ?? ''
        if (!src.startsWith('data:')) {
          const alt = el.attrs.find((a) => a.name === 'alt')?.value ?? ''
          const text: DefaultTreeAdapterTypes.TextNode = {
            nodeName: '#text',
            value: alt ? `[${alt}]` : '',
            parentNode: node,
          }
          node.childNodes[node.childNodes.indexOf(child)] = text
          continue
        }
      }
      el.attrs = el.attrs.filter((attribute) => {
        const name = (
          attribute.prefix ? `${attribute.prefix}:${attribute.name}` : attribute.name
        ).toLowerCase()
        if (name === 'style') return !cssLoadsRemote(attribute.value)
        const loads =
          LOADING_ATTRIBUTES.has(name) ||
          ((name === 'href' || name === 'xlink:href') && SVG_LOADING_HREF.has(el.tagName))
        // prepareMailHtml left only data: and remote URLs here; a srcset is a list of them.
        return !loads || (!name.endsWith('srcset') && /^data:/i.test(attribute.value.trim()))
      })
      stack.push(el)
    }
  }
  return body ? serialize(body) : ''
}
