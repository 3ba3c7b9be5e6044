import { StringDecoder } from 'node:string_decoder'
import { SaxesParser, type SaxesTagNS } from 'saxes'
import { XmlElement } from './xml.js'

export interface XmlStreamHandlers {
  /** The stream header (<stream:stream …>) with its attributes. */
  open(attrs: Record<string, string>): void
  /** One complete top-level element: a stanza or a nonza. */
  element(element: XmlElement): void
  /** The peer closed its stream (</stream:stream>). */
  close(): void
  /** Not well-formed XML, or a stanza over the size limit: the stream is unusable. */
  error(error: Error): void
}

/** The largest top-level element accepted, in characters (10 MB bodies fit, escaped). */
export const MAX_STANZA_CHARS = 24 * 1024 * 1024

/**
 * The deepest nesting accepted inside a stanza. Real stanzas stay near ten
 * levels (an archived, forwarded message with rich text); saxes slows down
 * with every level (40,000 levels, 120 KB, cost most of a minute on the
 * main process), so anything deeper ends the stream at once.
 */
export const MAX_DEPTH = 100

/**
 * An incremental parser for one XMPP stream (RFC 6120 §4): a strict XML 1.0
 * parser (saxes) with namespaces, fed raw socket bytes. Bytes are decoded
 * with one StringDecoder for the whole stream, so a multi-byte character
 * split across two TCP reads is not mangled. Processing instructions,
 * comments and DTDs are refused (RFC 6120 §11.1, restricted XML), and so is
 * any top-level element bigger than `maxStanzaChars` or nested deeper than
 * MAX_DEPTH.
 */
export class XmlStream {
  private readonly parser = new SaxesParser({ xmlns: true, position: false })
  private readonly decoder = new StringDecoder('utf8')
  private readonly stack: XmlElement[] = []
  private stanzaChars = 0
  private failed = false

  constructor(
    private readonly handlers: XmlStreamHandlers,
    private readonly maxStanzaChars = MAX_STANZA_CHARS,
  ) {
    const parser = this.parser
    parser.on('opentag', (tag) => this.onOpen(tag))
    parser.on('closetag', () => this.onClose())
    parser.on('text', (text) => this.onText(text))
    parser.on('cdata', (text) => this.onText(text))
    parser.on('error', (error) => this.fail(error))
    parser.on('processinginstruction', () =>
      this.fail(new Error('processing instruction in stream')),
    )
    parser.on('doctype', () => this.fail(new Error('DTD in stream')))
    parser.on('comment', () => this.fail(new Error('comment in stream')))
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    if (this.stack.length > 1) {
      this.stanzaChars += text.length
      if (this.stanzaChars > this.maxStanzaChars) {
        this.fail(new Error(`a stanza larger than ${this.maxStanzaChars} characters`))
        return
      }
    }
    try {
      this.parser.write(text)
    } catch (error) {
      this.fail(error as Error)
    }
  }

  private fail(error: Error): void {
    if (this.failed) return
    this.failed = true
    this.handlers.error(error)
  }

  private onOpen(tag: SaxesTagNS): void {
    if (this.failed) return
    const attrs: Record<string, string> = {}
    if (tag.uri) attrs.xmlns = tag.uri
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue
      attrs[attr.name] = attr.value
    }
    // Thrown, not failed: it stops saxes in the middle of this chunk (write() reports it).
    if (this.stack.length > MAX_DEPTH) throw new Error(`XML nested deeper than ${MAX_DEPTH} levels`)
    const element = new XmlElement(tag.local, attrs)
    if (this.stack.length === 0) {
      this.stack.push(element)
      this.handlers.open(attrs)
      return
    }
    if (this.stack.length === 1) this.stanzaChars = 0
    else this.stack[this.stack.length - 1]?.children.push(element)
    this.stack.push(element)
  }

  private onClose(): void {
    if (this.failed) return
    const element = this.stack.pop()
    if (!element) return
    if (this.stack.length === 0) this.handlers.close()
    else if (this.stack.length === 1) this.handlers.element(element)
  }

  private onText(text: string): void {
    if (this.failed || this.stack.length < 2) return // whitespace keepalives between stanzas
    const current = this.stack[this.stack.length - 1] as XmlElement
    const last = current.children[current.children.length - 1]
    if (typeof last === 'string') current.children[current.children.length - 1] = last + text
    else current.children.push(text)
  }
}
