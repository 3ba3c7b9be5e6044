const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
}

/**
 * Plain text from an HTML body, for the search index and snippets of
 * messages that have no text part. Not a renderer: it drops tags, scripts
 * and styles and keeps block breaks.
 */
export function htmlToText(html: string): string {
  return (
    html
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<\/(p|div|h[1-6]|blockquote|table)\s*>/gi, '\n\n')
      .replace(/<br\s*\/?>|<\/(tr|li)\s*>/gi, '\n')
      .replace(/<\/?(td|th)\b[^>]*>/gi, ' ')
      // Inline tags (b, i, span, a…) join their text as written: "<b>x</b>." stays "x.".
      .replace(/<[^>]*>/g, '')
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity: string, body: string) => {
        if (body[0] === '#') {
          const code =
            body[1] === 'x' || body[1] === 'X'
              ? parseInt(body.slice(2), 16)
              : parseInt(body.slice(1), 10)
          return Number.isFinite(code) && code > 0 && code < 0x110000
            ? String.fromCodePoint(code)
            : ' '
        }
        return ENTITIES[body.toLowerCase()] ?? entity
      })
      .replace(/[ \t\f\v\u00a0]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  )
}
