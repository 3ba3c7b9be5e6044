/**
 * Build the document shown in the reader's sandboxed frame from a mail's
 * HTML. The frame has no scripts and no same-origin access (iframe sandbox);
 * on top of that this removes active and navigating elements and sets a CSP
 * that blocks every remote load, images included, until the user allows
 * remote images for the message. cid: images become the data: URLs the
 * main side supplied.
 */
export function mailDocument(
  html: string,
  options: { allowRemote: boolean; inlineImages: Record<string, string> },
): { srcdoc: string; hasRemoteContent: boolean } {
  const doc = new DOMParser().parseFromString(html, 'text/html')
  doc
    .querySelectorAll(
      'script, iframe, frame, frameset, object, embed, applet, form, base, link, meta[http-equiv]',
    )
    .forEach((element) => element.remove())
  let hasRemoteContent = false
  for (const element of Array.from(doc.querySelectorAll('*'))) {
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase()
      if (name.startsWith('on')) element.removeAttribute(attribute.name)
      else if (name === 'src' || name === 'background' || name === 'poster' || name === 'srcset') {
        const value = attribute.value.trim()
        if (value.toLowerCase().startsWith('cid:')) {
          const image = options.inlineImages[value.slice(4).replace(/^<|>$/g, '')]
          if (image) element.setAttribute(attribute.name, image)
        } else if (/^(https?:)?\/\//i.test(value)) {
          hasRemoteContent = true
        }
      } else if (name === 'href' && /^\s*javascript:/i.test(attribute.value)) {
        element.removeAttribute(attribute.name)
      } else if (name === 'style' && /url\(\s*['"]?\s*(https?:)?\/\//i.test(attribute.value)) {
        hasRemoteContent = true
      }
    }
  }
  doc.querySelectorAll('style').forEach((style) => {
    if (/url\(\s*['"]?\s*(https?:)?\/\//i.test(style.textContent ?? '')) hasRemoteContent = true
  })
  const remote = options.allowRemote ? ' https: http:' : ''
  const csp = doc.createElement('meta')
  csp.setAttribute('http-equiv', 'Content-Security-Policy')
  csp.setAttribute(
    'content',
    `default-src 'none'; img-src data:${remote}; style-src 'unsafe-inline'${remote}; font-src data:${remote}; media-src data:${remote}`,
  )
  const base = doc.createElement('base')
  base.setAttribute('target', '_blank')
  const head = doc.head
  head.prepend(base)
  head.prepend(csp)
  return { srcdoc: `<!doctype html>${doc.documentElement.outerHTML}`, hasRemoteContent }
}
