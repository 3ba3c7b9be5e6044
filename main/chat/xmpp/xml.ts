/**
 * A small XML element tree for stanzas: what the stream parser builds and
 * what Cairn sends. Attribute values and text are escaped on output, and
 * characters XML 1.0 cannot carry at all (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) are dropped: sending one would make the server
 * close the stream (not-well-formed) and lose everything queued behind it.
 */
export type XmlNode = XmlElement | string

export class XmlElement {
  readonly children: XmlNode[] = []

  constructor(
    readonly name: string,
    readonly attrs: Record<string, string> = {},
  ) {}

  get xmlns(): string | undefined {
    return this.attrs.xmlns
  }

  append(...nodes: (XmlNode | null | undefined | false)[]): this {
    for (const node of nodes)
      if (node !== null && node !== undefined && node !== false) this.children.push(node)
    return this
  }

  is(name: string, xmlns?: string): boolean {
    return this.name === name && (xmlns === undefined || this.attrs.xmlns === xmlns)
  }

  /** The first child element with this name (and namespace, when given). */
  child(name: string, xmlns?: string): XmlElement | undefined {
    for (const node of this.children)
      if (typeof node !== 'string' && node.is(name, xmlns)) return node
    return undefined
  }

  /** Every child element, or those with this name (and namespace). */
  elements(name?: string, xmlns?: string): XmlElement[] {
    const out: XmlElement[] = []
    for (const node of this.children) {
      if (typeof node === 'string') continue
      if (name === undefined || node.is(name, xmlns)) out.push(node)
    }
    return out
  }

  /** The element's own text (its string children, joined). */
  text(): string {
    let text = ''
    for (const node of this.children) if (typeof node === 'string') text += node
    return text
  }

  childText(name: string, xmlns?: string): string | undefined {
    return this.child(name, xmlns)?.text()
  }

  toString(): string {
    let out = `<${this.name}`
    for (const [key, value] of Object.entries(this.attrs)) out += ` ${key}='${escapeXml(value)}'`
    if (this.children.length === 0) return `${out}/>`
    out += '>'
    for (const node of this.children)
      out += typeof node === 'string' ? escapeXml(node) : node.toString()
    return `${out}</${this.name}>`
  }
}

/** Build an element: el('message', { to, type: 'chat' }, el('body', {}, text)). */
export function el(
  name: string,
  attrs: Record<string, string | number | undefined> = {},
  ...children: (XmlNode | null | undefined | false)[]
): XmlElement {
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(attrs))
    if (value !== undefined) clean[key] = String(value)
  return new XmlElement(name, clean).append(...children)
}

// Everything outside XML 1.0's Char production.
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Drop what XML 1.0 cannot carry (see above). */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '')
}

export function escapeXml(text: string): string {
  return xmlSafe(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
}
