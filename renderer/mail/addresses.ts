import type { Address } from '../../main/mail/types'

/** "Ann <ann@x.org>, bob@y.org" as addresses (the host checks them when sending). */
export function parseAddressList(text: string): Address[] {
  const out: Address[] = []
  for (const part of text.split(/[,;](?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const item = part.trim()
    if (!item) continue
    const angle = /^(.*)<([^<>]+)>$/.exec(item)
    if (angle)
      out.push({
        name: (angle[1] ?? '').trim().replace(/^"|"$/g, ''),
        address: (angle[2] ?? '').trim(),
      })
    else out.push({ name: '', address: item })
  }
  return out
}

export function formatAddressList(list: Address[]): string {
  return list
    .map((a) =>
      a.name
        ? `${/[,;"<>]/.test(a.name) ? JSON.stringify(a.name) : a.name} <${a.address}>`
        : a.address,
    )
    .join(', ')
}
