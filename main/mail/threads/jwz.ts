/**
 * The shape of one conversation, by JWZ's container algorithm
 * (https://www.jwz.org/doc/threading.html, steps 1–4 and sorting): each
 * message hangs under the last Message-ID in its References that Cairn
 * can place; missing ancestors are empty containers, pruned when they
 * would only add a level. Used to show a thread's messages as a tree.
 */

export interface ThreadMessage {
  id: number
  messageId: string
  /** References then In-Reply-To, oldest first. */
  refs: string[]
  date: number
}

export interface ThreadNode<T extends ThreadMessage> {
  /** null: a message that is referenced but not here (an empty container). */
  message: T | null
  children: ThreadNode<T>[]
}

interface Container<T extends ThreadMessage> {
  message: T | null
  parent: Container<T> | null
  children: Container<T>[]
}

export function buildThreadTree<T extends ThreadMessage>(messages: T[]): ThreadNode<T>[] {
  const table = new Map<string, Container<T>>()
  const all: Container<T>[] = []
  const make = (message: T | null): Container<T> => {
    const c: Container<T> = { message, parent: null, children: [] }
    all.push(c)
    return c
  }
  const containerFor = (id: string): Container<T> => {
    let c = table.get(id)
    if (!c) table.set(id, (c = make(null)))
    return c
  }
  const reaches = (from: Container<T>, target: Container<T>): boolean => {
    for (let c: Container<T> | null = from; c; c = c.parent) if (c === target) return true
    return false
  }
  const link = (parent: Container<T>, child: Container<T>) => {
    if (child.parent === parent || reaches(parent, child)) return
    if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child)
    child.parent = parent
    parent.children.push(child)
  }

  for (const message of messages) {
    // 1A: the message's own container (a second copy of one Message-ID gets its own).
    let own = message.messageId ? table.get(message.messageId) : undefined
    if (own && own.message === null) own.message = message
    else {
      own = make(message)
      if (message.messageId && !table.has(message.messageId)) table.set(message.messageId, own)
    }
    // 1B: chain the references, each the parent of the next, never making a loop.
    let previous: Container<T> | null = null
    for (const ref of message.refs) {
      const c = containerFor(ref)
      if (previous && !c.parent) link(previous, c)
      previous = c
    }
    // 1C: the last reference is the message's parent (it wins over an earlier guess).
    if (previous && previous !== own && !reaches(previous, own)) link(previous, own)
  }

  // 2: the roots; 4: prune empty containers.
  const roots = all.filter((c) => c.parent === null)
  const prune = (list: Container<T>[], atRoot: boolean): Container<T>[] => {
    const out: Container<T>[] = []
    for (const c of list) {
      c.children = prune(c.children, false)
      if (c.message !== null) out.push(c)
      else if (c.children.length === 0) continue
      else if (!atRoot || c.children.length === 1) out.push(...c.children)
      else out.push(c)
    }
    return out
  }
  const sortByDate = (list: Container<T>[]): ThreadNode<T>[] =>
    list
      .map((c) => ({
        node: { message: c.message, children: sortByDate(c.children) },
        date: firstDate(c),
      }))
      .sort((a, b) => a.date - b.date)
      .map((x) => x.node)
  return sortByDate(prune(roots, true))
}

function firstDate<T extends ThreadMessage>(c: {
  message: T | null
  children: { message: T | null; children: unknown[] }[]
}): number {
  if (c.message) return c.message.date
  let best = Infinity
  for (const child of c.children as (typeof c)[]) best = Math.min(best, firstDate(child))
  return best
}

/** A tree flattened for a list: every message in reading order, with its depth. */
export function flattenThread<T extends ThreadMessage>(
  nodes: ThreadNode<T>[],
  depth = 0,
  out: { message: T; depth: number }[] = [],
): { message: T; depth: number }[] {
  for (const node of nodes) {
    if (node.message) out.push({ message: node.message, depth })
    flattenThread(node.children, node.message ? depth + 1 : depth, out)
  }
  return out
}
