/**
 * Text from others (a chat message, a contact's name, a mail's subject or
 * sender), safe to show as text (React never renders it as HTML; this is
 * about what the characters themselves do): C0 and C1
 * control characters other than tab and line feed become visible symbols
 * (an escape sequence cannot colour or move anything), carriage returns
 * become line breaks, and bidirectional embeddings, overrides and isolates
 * are removed, so a message cannot make "exe.txt" read as "txt.exe" or
 * reorder what is shown around it (a subject cannot pass an ".exe" off as
 * a ".pdf"). Joiners (emoji sequences) are kept.
 */
export function visibleText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex -- control characters are what this shows
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) =>
        c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0)),
      )
      .replace(/[\u0080-\u009f]/g, '\ufffd')
      .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
  )
}

/** One line of a name or an address: visible text with line breaks and tabs as spaces. */
export function visibleLine(text: string): string {
  return visibleText(text).replace(/[\n\t]+/g, ' ')
}
