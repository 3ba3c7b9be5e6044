import { decodeHTML } from 'entities'

/**
 * Plain text from an HTML body, for the search index and snippets of
 * messages that have no text part. Not a renderer: it drops tags, scripts
 * and styles and keeps block breaks. Every character reference (named,
 * decimal, hexadecimal, HTML5's full table) is decoded, so "caf&eacute;"
 * is indexed and found as "café".
 *
 * The body is hostile: every step runs in linear time. (Regular expressions
 * such as /<[^>]*>/g rescan to the end of the text from each "<" that is
 * never closed, which is minutes for a megabyte of "<".)
 */
export function htmlToText(html: string): string {
  let text = removeElements(html, /<(script|style|head)\b/gi, ' ')
  text = removeBetween(text, '<!--', '-->', ' ')
  text = text
    .replace(/<\/(p|div|h[1-6]|blockquote|table)\s*>/gi, '\n\n')
    .replace(/<br\s*\/?>|<\/(tr|li)\s*>/gi, '\n')
  text = removeTags(text, /<\/?(?:td|th)\b/gi, ' ')
  // Inline tags (b, i, span, a…) join their text as written: "<b>x</b>." stays "x.".
  text = removeTags(text, /</g, '')
  return decodeHTML(text)
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** As text.replace(/OPEN[^>]*>/g, by): once a start has no ">" after it, no later one has. */
function removeTags(text: string, open: RegExp, by: string): string {
  let out = ''
  let from = 0
  open.lastIndex = 0
  for (let m = open.exec(text); m; m = open.exec(text)) {
    const gt = text.indexOf('>', m.index + m[0].length)
    if (gt === -1) break
    out += text.slice(from, m.index) + by
    from = gt + 1
    open.lastIndex = from
  }
  return out + text.slice(from)
}

/** As text.replace(/OPEN[\s\S]*?CLOSE/g, by), with literal OPEN and CLOSE. */
function removeBetween(text: string, open: string, close: string, by: string): string {
  let out = ''
  let from = 0
  for (;;) {
    const start = text.indexOf(open, from)
    if (start === -1) break
    const end = text.indexOf(close, start + open.length)
    if (end === -1) break
    out += text.slice(from, start) + by
    from = end + close.length
  }
  return out + text.slice(from)
}

/**
 * As text.replace(/<(NAME)\b[\s\S]*?<\/\1\s*>/gi, by): an element whose
 * closing tag never comes is left as it is, and so is every later one of
 * the same name (none of them can find one either).
 */
function removeElements(text: string, open: RegExp, by: string): string {
  const unclosed = new Set<string>()
  let out = ''
  let from = 0
  open.lastIndex = 0
  for (let m = open.exec(text); m; m = open.exec(text)) {
    const name = (m[1] as string).toLowerCase()
    if (unclosed.has(name)) continue
    const close = new RegExp(`<\\/${name}\\s*>`, 'gi')
    close.lastIndex = m.index + m[0].length
    const end = close.exec(text)
    if (!end) {
      unclosed.add(name)
      open.lastIndex = m.index + 1
      continue
    }
    out += text.slice(from, m.index) + by
    from = end.index + end[0].length
    open.lastIndex = from
  }
  return out + text.slice(from)
}
