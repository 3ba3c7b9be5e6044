import sax from 'sax'

export interface DavResource {
  /** The href as sent, percent-decoded. */
  path: string
  isCollection: boolean
  size: number
  modifiedAt: Date | null
}

const DAV = 'DAV:'
const MAX_LISTING_BYTES = 64 << 20

/**
 * Parse a PROPFIND 207 multistatus body. The server is not trusted: the
 * parser resolves no entities or DTDs (sax does not), namespaces are
 * matched by URI, sizes and dates are checked, and a body larger than
 * 64 MiB is refused.
 */
export function parseMultistatus(body: Buffer): DavResource[] {
  if (body.length > MAX_LISTING_BYTES) throw new Error('the listing is larger than 64 MiB')
  const parser = sax.parser(true, { xmlns: true, trim: false })
  const resources: DavResource[] = []
  const stack: string[] = []
  let current: {
    href: string
    collection: boolean
    size: number
    modified: Date | null
    ok: boolean
  } | null = null
  let inPropstatOk = true
  let text = ''
  let failure: Error | null = null
  parser.onerror = (error) => {
    failure = error
  }
  parser.onopentag = (tag) => {
    const node = tag as sax.QualifiedTag
    const name = node.uri === DAV ? node.local : `{${node.uri}}${node.local}`
    stack.push(name)
    text = ''
    if (name === 'response')
      current = { href: '', collection: false, size: 0, modified: null, ok: true }
    if (name === 'propstat') inPropstatOk = true
    if (name === 'collection' && current && stack.includes('resourcetype'))
      current.collection = true
  }
  parser.ontext = (t) => {
    text += t
  }
  parser.oncdata = (t) => {
    text += t
  }
  parser.onclosetag = () => {
    const name = stack.pop()
    if (!current) return
    const value = text.trim()
    if (name === 'href' && stack[stack.length - 1] === 'response') current.href = value
    else if (name === 'status' && stack[stack.length - 1] === 'propstat')
      inPropstatOk = / 2\d\d /.test(`${value} `)
    else if (name === 'getcontentlength' && inPropstatOk) {
      const n = Number(value)
      if (Number.isSafeInteger(n) && n >= 0) current.size = n
    } else if (name === 'getlastmodified' && inPropstatOk) {
      const d = new Date(value)
      current.modified = Number.isNaN(d.getTime()) ? null : d
    } else if (name === 'response') {
      let path: string | null = null
      try {
        path = decodeURIComponent(new URL(current.href, 'http://x').pathname)
      } catch {
        path = null
      }
      if (path !== null)
        resources.push({
          path,
          isCollection: current.collection,
          size: current.size,
          modifiedAt: current.modified,
        })
      current = null
    }
    text = ''
  }
  parser.write(body.toString('utf8')).close()
  if (failure) throw failure
  return resources
}
