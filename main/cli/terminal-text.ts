/**
 * Text from others (a mail's subject or sender, a folder name from a server,
 * a chat message, a server's answer quoted in an error) made safe to print
 * on a terminal: C0 and C1 control characters other than tab and line feed
 * (ESC and CSI start sequences that colour, move, retitle or hyperlink; BEL;
 * a carriage return that lets the rest overwrite the line) and bidirectional
 * embeddings, overrides and isolates (which reorder what is printed beside
 * them) are shown as `\uXXXX` instead of being obeyed. `--json` output is
 * left alone: JSON escapes controls itself, and its reader shows it.
 */
export function terminalText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what this shows
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** One field of a one-line-per-item listing: a line feed in it is shown too, so it cannot forge a line. */
export function terminalLine(text: string): string {
  return terminalText(text).replace(/\n/g, '\\u000a')
}
