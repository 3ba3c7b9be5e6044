import { parse, type DefaultTreeAdapterTypes } from 'parse5'

type Node = DefaultTreeAdapterTypes.Node
type Element = DefaultTreeAdapterTypes.Element

const BLOCKS = new Set([
  'p',
  'div',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'pre',
  'table',
  'tr',
  'blockquote',
  'hr',
  'section',
  'article',
  'header',
  'footer',
])
const SKIP = new Set(['script', 'style', 'head', 'template', 'noscript'])

/**
 * The plain-text alternative of a message written in the editor: what a
 * text-only mail client shows. Paragraphs are separated by blank lines,
 * quotes get "> " on each line (nested quotes "> > "), list items "- " or
 * "1. ", links "text <url>" when the text is not the URL, images their alt
 * text. Lines are not wrapped (format=flowed is not used).
 */
export function htmlToPlain(html: string): string {
  const document = parse(`<body>${html}</body>`)
  const lines: string[] = []
  let line = ''
  const flush = () => {
    // "-- " opens the signature (RFC 3676 4.3): its space is the point, and the editor drops it.
    lines.push(/^--[ \t]*$/.test(line) ? '-- ' : line.replace(/[ \t]+$/, ''))
    line = ''
  }
  const block = () => {
    if (line.trim()) flush()
    if (lines.length && lines[lines.length - 1] !== '') lines.push('')
  }
  const walk = (node: Node, ordered: { n: number } | null) => {
    if (node.nodeName === '#text') {
      line += (node as DefaultTreeAdapterTypes.TextNode).value.replace(/\s+/g, ' ')
      return
    }
    if (!('tagName' in node)) {
      if ('childNodes' in node) for (const c of (node as Element).childNodes) walk(c, ordered)
      return
    }
    const el = node as Element
    const tag = el.tagName
    if (SKIP.has(tag)) return
    const attr = (name: string) => el.attrs.find((a) => a.name === name)?.value ?? ''
    if (tag === 'br') return flush()
    if (tag === 'img') {
      const alt = attr('alt')
      if (alt) line += `[${alt}]`
      return
    }
    if (tag === 'blockquote') {
      block()
      const inner = htmlToPlainNodes(el.childNodes)
      for (const quoted of inner.split('\n')) lines.push(quoted ? `> ${quoted}` : '>')
      lines.push('')
      return
    }
    if (tag === 'li') {
      if (line.trim()) flush()
      line += ordered ? `${++ordered.n}. ` : '- '
      for (const c of el.childNodes) walk(c, null)
      flush()
      return
    }
    if (tag === 'a') {
      const href = attr('href')
      const before = line.length
      for (const c of el.childNodes) walk(c, ordered)
      const text = line.slice(before).trim()
      if (href && !href.startsWith('#') && text !== href && `mailto:${text}` !== href)
        line += ` <${href}>`
      return
    }
    if (tag === 'hr') {
      block()
      lines.push('----')
      lines.push('')
      return
    }
    const isBlock = BLOCKS.has(tag)
    if (isBlock && tag !== 'li') block()
    const list = tag === 'ol' ? { n: 0 } : tag === 'ul' ? null : ordered
    for (const c of el.childNodes) walk(c, list)
    if (isBlock) block()
  }
  const htmlToPlainNodes = (nodes: Node[]): string => {
    const saved = { lines: lines.splice(0), line }
    line = ''
    for (const c of nodes) walk(c, null)
    if (line.trim()) flush()
    const text = trimBlank(lines.splice(0)).join('\n')
    lines.push(...saved.lines)
    line = saved.line
    return text
  }
  walk(document, null)
  if (line.trim()) flush()
  return (
    trimBlank(lines)
      .join('\n')
      .replace(/\n{3,}/g, '\n\n') + '\n'
  )
}

function trimBlank(lines: string[]): string[] {
  let start = 0
  let end = lines.length
  while (start < end && !lines[start]?.trim()) start++
  while (end > start && !lines[end - 1]?.trim()) end--
  return lines.slice(start, end)
}
