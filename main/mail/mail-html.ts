import { parse, serialize, type DefaultTreeAdapterTypes } from 'parse5'

type Node = DefaultTreeAdapterTypes.Node
type Element = DefaultTreeAdapterTypes.Element
type ParentNode = DefaultTreeAdapterTypes.ParentNode

/** Elements dropped with everything inside them: active, embedding or navigating content. */
const DROP = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'portal',
  'fencedframe',
  'base',
  'link',
  'template',
])

/** Attributes that make the browser load something as soon as the element renders. */
export const LOADING_ATTRIBUTES = new Set([
  'src',
  'srcset',
  'imagesrcset',
  'background',
  'poster',
  'lowsrc',
  'dynsrc',
  'data',
])

/**
 * Attributes dropped outright: they ping, submit or pick where a link opens
 * (every link opens outside the frame, through the <base target> added below).
 */
const DROPPED_ATTRIBUTES = new Set(['ping', 'action', 'formaction', 'srcdoc', 'target'])

/** SVG elements whose href loads a resource (as opposed to <a>, where it is a link). */
export const SVG_LOADING_HREF = new Set(['image', 'use', 'feimage', 'script', 'set', 'animate'])

export interface MailHtml {
  /** The cleaned document, to be served with the mail frame's CSP. */
  html: string
  /** Whether the mail asks for remote images, styles or fonts (blocked until the user allows them). */
  hasRemoteContent: boolean
}

/**
 * Clean a mail's HTML for the reader's frame. The frame is what keeps a mail
 * harmless (sandboxed without scripts, a CSP that blocks every load except
 * this message's inline images, and remote content only when the user asks);
 * this pass removes what has no business in a mail anyway (scripts, frames,
 * plug-ins, forms' targets, event handlers, <base>, <meta http-equiv>),
 * points cid: references at the message's inline images, drops links to
 * the host's own pages, and finds out whether the mail wants remote content.
 *
 * Parsed with parse5, the browser's own algorithm, with scripting off as in
 * the sandboxed frame, so the tree cleaned here is the tree the frame builds.
 */
export function prepareMailHtml(
  source: string,
  options: { inlineImageUrl(contentId: string): string | null },
): MailHtml {
  const document = parse(source, { scriptingEnabled: false })
  let hasRemoteContent = false

  const stack: ParentNode[] = [document]
  while (stack.length > 0) {
    const parent = stack.pop() as ParentNode
    for (const child of [...parent.childNodes]) {
      if (!isElement(child)) continue
      const name = child.tagName.toLowerCase()
      if (DROP.has(name) || (name === 'meta' && hasAttribute(child, 'http-equiv'))) {
        remove(parent, child)
        continue
      }
      if (name === 'style') {
        if (cssLoadsRemote(textOf(child))) hasRemoteContent = true
        continue
      }
      child.attrs = child.attrs.filter((attribute) => {
        const attr = attribute.prefix
          ? `${attribute.prefix}:${attribute.name}`.toLowerCase()
          : attribute.name.toLowerCase()
        const value = attribute.value.trim()
        if (attr.startsWith('on') || DROPPED_ATTRIBUTES.has(attr)) return false
        if (attr === 'style') {
          if (cssLoadsRemote(value)) hasRemoteContent = true
          return true
        }
        const loads =
          LOADING_ATTRIBUTES.has(attr) ||
          ((attr === 'href' || attr === 'xlink:href') && SVG_LOADING_HREF.has(name))
        if (loads) {
          if (attr.endsWith('srcset')) {
            if (value.split(',').some((candidate) => isRemote(candidate.trim()))) {
              hasRemoteContent = true
              return true
            }
            return false
          }
          const kind = classify(value)
          if (kind === 'cid') {
            const url = options.inlineImageUrl(contentIdOf(value))
            if (!url) return false
            attribute.value = url
            return true
          }
          if (kind === 'remote') hasRemoteContent = true
          return kind === 'remote' || kind === 'data'
        }
        if (attr === 'href' || attr === 'xlink:href') return isFollowableLink(value)
        return true
      })
      stack.push(child)
      if ('content' in child) stack.push((child as DefaultTreeAdapterTypes.Template).content)
    }
  }

  const head = findElement(document, 'head')
  if (head) {
    // Links open outside the frame (the host hands web links to the system browser).
    head.childNodes.unshift(element('base', { target: '_blank' }, head))
    head.childNodes.unshift(element('meta', { name: 'referrer', content: 'no-referrer' }, head))
    head.childNodes.unshift(element('meta', { charset: 'utf-8' }, head))
  }
  const body = serialize(document)
  return {
    html: /^<!doctype/i.test(body) ? body : `<!doctype html>${body}`,
    hasRemoteContent,
  }
}

type UrlKind = 'cid' | 'data' | 'remote' | 'other'

function classify(value: string): UrlKind {
  // eslint-disable-next-line no-control-regex -- browsers ignore these inside a URL's scheme
  const lower = value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase()
  if (lower.startsWith('cid:')) return 'cid'
  if (lower.startsWith('data:')) return 'data'
  if (/^(https?:)?\/\//.test(lower)) return 'remote'
  return 'other'
}

function isRemote(candidate: string): boolean {
  return classify(candidate) === 'remote'
}

/** A link the user may follow: web and mail links, or an anchor in the mail. */
function isFollowableLink(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- browsers ignore these inside a URL's scheme
  const lower = value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase()
  return /^(https?:|mailto:|#)/.test(lower)
}

/** `cid:logo@x`, `cid:%3Clogo@x%3E` → `logo@x`. */
function contentIdOf(value: string): string {
  let id = value.trim().slice(4)
  try {
    id = decodeURIComponent(id)
  } catch {
    // not percent-encoded after all
  }
  return id.replace(/^<|>$/g, '').trim()
}

/** Whether CSS would fetch something from the network (url(…) or @import other than data:/cid:). */
export function cssLoadsRemote(css: string): boolean {
  for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]*)/gi)) {
    const target = (match[2] ?? '').trim()
    if (target && classify(target) !== 'data' && classify(target) !== 'cid') return true
  }
  return /@import/i.test(css)
}

function isElement(node: Node): node is Element {
  return 'tagName' in node
}

function hasAttribute(node: Element, name: string): boolean {
  return node.attrs.some((a) => a.name.toLowerCase() === name)
}

function textOf(node: Element): string {
  return node.childNodes
    .map((c) => ('value' in c && c.nodeName === '#text' ? c.value : ''))
    .join('')
}

function remove(parent: ParentNode, child: Node): void {
  const index = parent.childNodes.indexOf(child as DefaultTreeAdapterTypes.ChildNode)
  if (index >= 0) parent.childNodes.splice(index, 1)
}

function findElement(root: ParentNode, tag: string): Element | null {
  const stack: ParentNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as ParentNode
    for (const child of node.childNodes) {
      if (!isElement(child)) continue
      if (child.tagName === tag) return child
      stack.push(child)
    }
  }
  return null
}

function element(tagName: string, attrs: Record<string, string>, parentNode: Element): Element {
  return {
    nodeName: tagName,
    tagName,
    attrs: Object.entries(attrs).map(([name, value]) => ({ name, value })),
    namespaceURI: parentNode.namespaceURI,
    parentNode,
    childNodes: [],
  }
}
