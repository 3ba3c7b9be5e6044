/**
 * Which messages belong to one conversation, as JWZ's threading algorithm
 * links them (https://www.jwz.org/doc/threading.html, steps 1–4): a
 * message, the Message-IDs in its References and In-Reply-To, and every
 * other message naming any of those, are one thread, whatever folder each
 * is in (a reply in Sent joins the Inbox thread). Messages that share an
 * ancestor Cairn does not have (JWZ's empty container) are one thread too.
 * Threads are not merged by subject (JWZ's step 5): that is Thunderbird's
 * default ("strict threading"), and it avoids joining every "Re: hello".
 */

/** References kept per message; a hostile one listing thousands gets the nearest ones (and the root). */
export const MAX_REFS = 50

/** The Message-IDs a message points at: its References, then In-Reply-To, de-duplicated, capped. */
export function refsOf(message: { references: string[]; inReplyTo: string }): string[] {
  const all = [...message.references, message.inReplyTo].filter((r) => r.length > 0)
  const unique = [...new Set(all)]
  if (unique.length <= MAX_REFS) return unique
  return [unique[0] as string, ...unique.slice(unique.length - (MAX_REFS - 1))]
}

/**
 * Thread ids for a whole mailbox at once (a migration, a repair): the
 * connected components of messages and the ids they name, each labelled
 * with its smallest message rowid.
 */
export function threadComponents(
  messages: Iterable<{ id: number; messageId: string; refs: string[] }>,
): Map<number, number> {
  const parent: number[] = []
  const find = (x: number): number => {
    let root = x
    while (parent[root] !== root) root = parent[root] as number
    while (parent[x] !== root) {
      const next = parent[x] as number
      parent[x] = root
      x = next
    }
    return root
  }
  const union = (a: number, b: number) => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  const node = new Map<string, number>()
  const nodeOf = (key: string) => {
    let n = node.get(key)
    if (n === undefined) {
      n = parent.length
      parent.push(n)
      node.set(key, n)
    }
    return n
  }
  const rows: { id: number; node: number }[] = []
  for (const m of messages) {
    const self = nodeOf(`#${m.id}`)
    rows.push({ id: m.id, node: self })
    if (m.messageId) union(self, nodeOf(`<${m.messageId}`))
    for (const ref of m.refs) union(self, nodeOf(`<${ref}`))
  }
  // Label each component with its smallest message rowid.
  const label = new Map<number, number>()
  for (const row of rows) {
    const root = find(row.node)
    const current = label.get(root)
    if (current === undefined || row.id < current) label.set(root, row.id)
  }
  return new Map(rows.map((row) => [row.id, label.get(find(row.node)) as number]))
}
