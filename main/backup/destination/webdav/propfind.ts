import { createRequire } from 'node:module'
import type * as Sax from 'sax'

// CommonJS, loaded with require: imported, Node would first scan it for export names (about 15 ms).
const sax = createRequire(import.meta.url)('sax') as typeof Sax

export interface DavResource {
  /** The href as sent, percent-decoded. */
  path: string
  isCollection: boolean
  size: number
  modifiedAt: Date | null
}

const DAV = 'DAV:'

/**
 * What one multistatus may hold. A Cairn folder lists a few hundred
 * entries of a few hundred bytes each; a depth-1 multistatus nests about
 * seven elements deep. The server is anyone's (or the attacker's), so a
 * body that goes on for gigabytes, lists millions of entries or nests
 * without end is refused as soon as it passes these, not read to its end.
 */
export const MULTISTATUS_LIMITS = {
  bytes: 64 << 20,
  entries: 100_000,
  depth: 32,
  /** One href, status, length or date. */
  valueChars: 64 << 10,
} as const

/** Elements whose text is read; any other text (whitespace, unknown properties) is skipped. */
const VALUES = new Set(['href', 'status', 'getcontentlength', 'getlastmodified'])

/** A multistatus over the limits, or one carrying a DTD: the message says which. */
export class ListingRefused extends Error {}

/**
 * Parses a PROPFIND 207 multistatus body as it arrives, chunk by chunk, so
 * that a hostile body is stopped at its first excess rather than held in
 * memory whole. Namespaces are matched by URI, sizes and dates are
 * checked. No entity or DTD is ever resolved (sax knows only the five
 * XML entities and reads no declarations); a DOCTYPE, which no WebDAV
 * server sends, is refused outright, so that an entity-expansion body
 * fails plainly whatever the parser does with it.
 */
export class MultistatusParser {
  private readonly parser = sax.parser(true, { xmlns: true, trim: false })
  private readonly decoder = new TextDecoder('utf-8')
  private readonly resources: DavResource[] = []
  private readonly stack: string[] = []
  private bytes = 0
  private entries = 0
  private current: {
    href: string
    collection: boolean
    size: number
    modified: Date | null
  } | null = null
  private inPropstatOk = true
  private text = ''

  constructor() {
    const { parser } = this
    // Thrown from inside sax.write: parsing stops at the first error, not at the chunk's end.
    parser.onerror = (error) => {
      throw error
    }
    parser.ondoctype = () => {
      throw new ListingRefused('the listing declares a DOCTYPE, which no WebDAV server sends')
    }
    parser.onopentag = (tag) => this.open(tag as Sax.QualifiedTag)
    parser.ontext = (t) => this.addText(t)
    parser.oncdata = (t) => this.addText(t)
    parser.onclosetag = () => this.close()
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length
    if (this.bytes > MULTISTATUS_LIMITS.bytes)
      throw new ListingRefused(
        `the listing is larger than ${MULTISTATUS_LIMITS.bytes >> 20} MiB, more than a Cairn folder's`,
      )
    this.parser.write(this.decoder.decode(chunk, { stream: true }))
  }

  /** The resources listed, once the whole body was written. */
  end(): DavResource[] {
    this.parser.write(this.decoder.decode()).close()
    return this.resources
  }

  private open(node: Sax.QualifiedTag): void {
    const name = node.uri === DAV ? node.local : `{${node.uri}}${node.local}`
    this.stack.push(name)
    if (this.stack.length > MULTISTATUS_LIMITS.depth)
      throw new ListingRefused(
        `the listing's XML nests deeper than ${MULTISTATUS_LIMITS.depth} levels`,
      )
    this.text = ''
    if (name === 'response') {
      if (++this.entries > MULTISTATUS_LIMITS.entries)
        throw new ListingRefused(
          `the listing has more than ${MULTISTATUS_LIMITS.entries.toLocaleString('en')} entries, more than a Cairn folder holds`,
        )
      this.current = { href: '', collection: false, size: 0, modified: null }
    }
    if (name === 'propstat') this.inPropstatOk = true
    if (name === 'collection' && this.current && this.stack.includes('resourcetype'))
      this.current.collection = true
  }

  private addText(t: string): void {
    if (!VALUES.has(this.stack[this.stack.length - 1] ?? '')) return
    this.text += t
    if (this.text.length > MULTISTATUS_LIMITS.valueChars)
      throw new ListingRefused(
        `a value in the listing is longer than ${MULTISTATUS_LIMITS.valueChars >> 10} KiB`,
      )
  }

  private close(): void {
    const { stack, current } = this
    const name = stack.pop()
    const value = this.text.trim()
    this.text = ''
    if (!current) return
    const parent = stack[stack.length - 1]
    if (name === 'href' && parent === 'response') current.href = value
    else if (name === 'status' && parent === 'propstat')
      this.inPropstatOk = / 2\d\d /.test(`${value} `)
    else if (name === 'getcontentlength' && this.inPropstatOk) {
      const n = Number(value)
      if (Number.isSafeInteger(n) && n >= 0) current.size = n
    } else if (name === 'getlastmodified' && this.inPropstatOk) {
      const d = new Date(value)
      current.modified = Number.isNaN(d.getTime()) ? null : d
    } else if (name === 'response') {
      const path = hrefPath(current.href)
      if (path !== null)
        this.resources.push({
          path,
          isCollection: current.collection,
          size: current.size,
          modifiedAt: current.modified,
        })
      this.current = null
    }
  }
}

function hrefPath(href: string): string | null {
  try {
    return decodeURIComponent(new URL(href, 'http://x').pathname)
  } catch {
    return null
  }
}
