import { randomBytes } from 'node:crypto'

/**
 * Builders for test mail: RFC 5322 messages and mbox files, written out in
 * full so each test shows exactly what it feeds the importer.
 */
export interface MessageSpec {
  from?: string
  to?: string
  subject?: string
  date?: string
  messageId?: string
  inReplyTo?: string
  text?: string
  html?: string
  headers?: Record<string, string>
  attachments?: {
    filename: string
    contentType: string
    content: Buffer
    contentId?: string
    inline?: boolean
  }[]
}

export function buildMessage(spec: MessageSpec): string {
  const headers: string[] = [
    `From: ${spec.from ?? 'Alice Example <alice@example.com>'}`,
    `To: ${spec.to ?? 'Bob Example <bob@example.com>'}`,
    `Subject: ${spec.subject ?? 'Hello'}`,
    `Date: ${spec.date ?? 'Tue, 03 Mar 2026 10:00:00 +0000'}`,
    `Message-ID: <${spec.messageId ?? `${randomBytes(6).toString('hex')}@example.com`}>`,
    'MIME-Version: 1.0',
  ]
  if (spec.inReplyTo)
    headers.push(`In-Reply-To: <${spec.inReplyTo}>`, `References: <${spec.inReplyTo}>`)
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers.push(`${name}: ${value}`)

  const text = spec.text ?? (spec.html ? undefined : 'Hello Bob,\n\nSee you soon.\n')
  const parts: string[] = []
  if (text !== undefined) parts.push(`Content-Type: text/plain; charset=utf-8\n\n${text}`)
  if (spec.html !== undefined) parts.push(`Content-Type: text/html; charset=utf-8\n\n${spec.html}`)
  for (const a of spec.attachments ?? []) {
    const disposition = a.inline ? 'inline' : 'attachment'
    parts.push(
      [
        `Content-Type: ${a.contentType}; name="${a.filename}"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: ${disposition}; filename="${a.filename}"`,
        ...(a.contentId ? [`Content-ID: <${a.contentId}>`] : []),
        '',
        a.content.toString('base64').replace(/.{76}/g, '$&\n'),
      ].join('\n'),
    )
  }
  if (parts.length === 1 && !spec.attachments?.length) {
    return `${headers.join('\n')}\n${parts[0]}\n`
  }
  const boundary = `b-${randomBytes(6).toString('hex')}`
  return (
    `${headers.join('\n')}\nContent-Type: multipart/mixed; boundary="${boundary}"\n\n` +
    parts.map((part) => `--${boundary}\n${part}\n`).join('') +
    `--${boundary}--\n`
  )
}

/** An mbox file (mboxrd): each message after a "From " line, body lines starting with "From " escaped. */
export function buildMbox(messages: string[]): string {
  return messages
    .map((message) => {
      const escaped = message.replace(/^(>*From )/gm, '>$1')
      return `From sender@example.com Tue Mar  3 10:00:00 2026\n${escaped}${escaped.endsWith('\n') ? '' : '\n'}\n`
    })
    .join('')
}
