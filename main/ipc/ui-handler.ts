import { readFile } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { ChatFiles } from './chat-files.js'
import { appCsp, inlineImageCsp, mailFrameCsp } from './csp.js'
import type { MailViews } from './mail-views.js'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

/** Longest path answered; real ones are under 100 characters. */
const MAX_PATH = 2048

export type UiHandler = (request: Request) => Promise<Response>

/**
 * Everything a Cairn window loads, as one fetch-style handler shared by
 * both hosts: Electron's `protocol.handle('app', …)` calls it directly, the
 * browser build's HTTP server adapts Node requests to it. It serves
 * - the renderer's files, with the app's CSP as a header;
 * - `/mail/<view>/frame`: one message's cleaned HTML with its own CSP;
 * - `/mail/<view>/inline/<attachment>`: that message's inline images;
 * - `/mail/<view>/attachment/<attachment>`: an attachment, as a download.
 * - `/chat/file/<view>`: a downloaded chat file, as an image only when its
 *   bytes are one (`?download=1`: as a download, in the browser build).
 * Mail and chat paths need a view id minted when the message was shown
 * (MailViews, ChatFiles).
 * Anything malformed answers 4xx; nothing here throws to the host.
 */
export function createUiHandler(options: {
  rendererDir: string
  /** Where the pages are served from: app://cairn, or http://127.0.0.1:<port>. */
  origin: string
  views: Pick<MailViews, 'document' | 'inlineImage' | 'attachment'>
  chatFiles?: Pick<ChatFiles, 'served'>
}): UiHandler {
  const root = resolve(options.rendererDir)
  const { origin, views, chatFiles } = options

  const route = async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(405, 'Method not allowed', { Allow: 'GET, HEAD' })
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return plain(400, 'Bad request')
    }
    if (`${url.protocol}//${url.host}` !== origin) return plain(421, 'Misdirected request')
    if (url.pathname.length > MAX_PATH) return plain(414, 'Path too long')
    const segments = decodeSegments(url.pathname)
    if (!segments) return plain(400, 'Bad path')

    if (segments[0] === 'mail') {
      const [, viewId = '', kind, part, ...rest] = segments
      if (kind === 'frame' && part === undefined) {
        const html = await views.document(viewId)
        if (html === null) return plain(404, 'Not found')
        const csp = mailFrameCsp({
          origin,
          viewId,
          allowRemote: url.searchParams.get('remote') === '1',
        })
        return body(request, 200, Buffer.from(html), {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': csp,
        })
      }
      if (kind === 'inline' && part !== undefined && rest.length === 0 && /^\d{1,15}$/.test(part)) {
        const image = views.inlineImage(viewId, Number(part))
        if (!image) return plain(404, 'Not found')
        return body(request, 200, image.bytes, {
          'Content-Type': image.mimeType,
          'Content-Security-Policy': inlineImageCsp(),
          'Content-Disposition': 'inline',
        })
      }
      if (
        kind === 'attachment' &&
        part !== undefined &&
        rest.length === 0 &&
        /^\d{1,15}$/.test(part)
      ) {
        const file = views.attachment(viewId, Number(part))
        if (!file) return plain(404, 'Not found')
        // Always a download, never rendered here: whatever the mail says the type is.
        return body(request, 200, file.bytes, {
          'Content-Type': 'application/octet-stream',
          // Not a bare encodeURIComponent: it throws on a lone surrogate (a failed download).
          'Content-Disposition': attachmentDisposition(file.filename),
          'Content-Security-Policy': "default-src 'none'; sandbox",
        })
      }
      return plain(404, 'Not found')
    }

    if (segments[0] === 'chat') {
      const [, kind, view = '', ...rest] = segments
      if (kind !== 'file' || rest.length > 0 || !chatFiles) return plain(404, 'Not found')
      const file = await chatFiles.served(view)
      if (!file) return plain(404, 'Not found')
      if (url.searchParams.get('download') === '1')
        return body(request, 200, file.bytes, {
          'Content-Type': 'application/octet-stream',
          'Content-Security-Policy': inlineImageCsp(),
          'Content-Disposition': attachmentDisposition(file.filename),
        })
      // Shown in the page only as a picture whose bytes say so: never HTML, SVG or script.
      if (!file.imageType) return plain(404, 'Not found')
      return body(request, 200, file.bytes, {
        'Content-Type': file.imageType,
        'Content-Security-Policy': inlineImageCsp(),
        'Content-Disposition': 'inline',
        'Cross-Origin-Resource-Policy': 'same-origin',
      })
    }

    const relative = segments.length === 1 && segments[0] === '' ? ['index.html'] : segments
    if (relative.some((s) => s === '')) return plain(404, 'Not found')
    const file = join(root, ...relative)
    if (!file.startsWith(root + sep)) return plain(404, 'Not found')
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch {
      return plain(404, 'Not found')
    }
    return body(request, 200, bytes, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': appCsp(),
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    })
  }

  return async (request) => {
    try {
      return await route(request)
    } catch (error) {
      console.error('[ui] request failed:', error)
      return plain(500, 'Cairn could not answer this request; the details are in its log.')
    }
  }
}

/**
 * The path's segments, percent-decoded, or null when a segment is not
 * valid UTF-8 percent-encoding or decodes to something no file name here
 * has (a slash, a backslash, a control character, `.` or `..`).
 */
function decodeSegments(pathname: string): string[] | null {
  if (!pathname.startsWith('/')) return null
  const segments: string[] = []
  for (const raw of pathname.slice(1).split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return null
    }
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (/[/\\\u0000-\u001f\u007f]/.test(segment) || segment === '.' || segment === '..') return null
    segments.push(segment)
  }
  return segments
}

/** `attachment` with the file's name: an ASCII fallback and the exact name (RFC 6266, RFC 8187). */
function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'file'
  const exact = encodeURIComponent(
    // A lone surrogate cannot be percent-encoded: it becomes U+FFFD.
    filename.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    ),
  ).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`
}

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
}

function body(
  request: Request,
  status: number,
  bytes: Uint8Array,
  headers: Record<string, string>,
): Response {
  return new Response(request.method === 'HEAD' ? null : bytes, {
    status,
    headers: { ...COMMON_HEADERS, ...headers, 'Content-Length': String(bytes.byteLength) },
  })
}

function plain(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: {
      ...COMMON_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'",
      ...headers,
    },
  })
}
