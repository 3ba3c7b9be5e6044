import { decodeHTML } from 'entities'

/**
 * Plain text from an HTML body, for the search index and snippets of
 * messages that have no text part. Not a renderer: it drops tags, scripts
 * and styles and keeps block breaks. Every character reference (named,
 * decimal, hexadecimal, HTML5's full table) is decoded, so "caf&eacute;"
 * is indexed and found as "café".
 */
export function htmlToText(html: string): string {
  return decodeHTML(
    html
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<\/(p|div|h[1-6]|blockquote|table)\s*>/gi, '\n\n')
      .replace(/<br\s*\/?>|<\/(tr|li)\s*>/gi, '\n')
      .replace(/<\/?(td|th)\b[^>]*>/gi, ' ')
      // Inline tags (b, i, span, a…) join their text as written: "<b>x</b>." stays "x.".
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
