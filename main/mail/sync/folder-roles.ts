import type { ListResponse } from 'imapflow'
import { specialUse } from 'imapflow/lib/special-use.js'

/** The special-use roles (RFC 6154) a folder can hold, in the order a folder flagged with two keeps one. */
const ROLES = ['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']
const ROLE_BY_FLAG = new Map(ROLES.map((role) => [role.toLowerCase(), role]))

export type ListedFolder = Pick<
  ListResponse,
  'path' | 'delimiter' | 'flags' | 'specialUse' | 'specialUseSource'
>

/** The folders of a LIST that hold messages (a \Noselect parent or a \NonExistent leftover does not). */
export function selectableFolders<T extends ListedFolder>(listed: T[]): T[] {
  return listed.filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
}

interface Candidate {
  folder: ListedFolder
  role: string
  /** 0: the server flags it with the role; 1: its name is the role's; 2: its name contains it. */
  rank: number
  /** Its path below INBOX when the server keeps folders there ("INBOX.Sent" is "Sent"). */
  relative: string[]
  depth: number
}

/**
 * Which folder holds each role, one folder per role and one role per
 * folder: INBOX is the Inbox; for the others, a folder the server flags
 * (SPECIAL-USE) before one whose name says so (imapflow's table of
 * localised names: an exact name before one that only contains it), then the fewest levels
 * below the personal root (INBOX's children count as top level, for the
 * servers that keep every folder under INBOX), then fewer levels in all,
 * then the path in character-code order. Every lookup of a role reads what this
 * decided (stored by the folder-list sync), so the Sent copy, drafts and
 * Trash go where the folder list shows them. The order is Cairn's, not
 * imapflow's: imapflow breaks ties with localeCompare, so a CLI run under
 * one locale and the app under another gave the role to different folders.
 */
export function folderRoles(listed: ListedFolder[]): Map<string, string> {
  const roles = new Map<string, string>()
  const inbox = listed.find((f) => f.path.toUpperCase() === 'INBOX')
  if (inbox) roles.set(inbox.path, '\\Inbox')
  const candidates: Candidate[] = []
  for (const folder of listed) {
    if (roles.has(folder.path)) continue
    const segments = folder.delimiter ? folder.path.split(folder.delimiter) : [folder.path]
    const relative =
      segments.length > 1 && segments[0]?.toUpperCase() === 'INBOX' ? segments.slice(1) : segments
    const add = (role: string, rank: number) =>
      candidates.push({ folder, role, rank, relative, depth: segments.length })
    const flagged = new Set<string>()
    for (const flag of folder.flags) {
      const role = ROLE_BY_FLAG.get(flag.toLowerCase())
      if (role && !flagged.has(role)) add(role, 0)
      if (role) flagged.add(role)
    }
    // An XLIST flag imapflow translated counts as the server's word.
    const translated = folder.specialUseSource === 'extension' ? folder.specialUse : undefined
    if (translated && ROLES.includes(translated) && !flagged.has(translated)) {
      add(translated, 0)
      flagged.add(translated)
    }
    // Every folder whose (localised) name says a role is a candidate, not only
    // the one imapflow picked, so that ties among names are broken here too.
    const named = specialUse(false, { flags: new Set(), name: segments.at(-1) ?? folder.path })
    if (named.flag && ROLES.includes(named.flag) && !flagged.has(named.flag))
      add(named.flag, named.source === 'name' ? 1 : 2)
  }
  candidates.sort(
    (a, b) =>
      a.rank - b.rank ||
      a.relative.length - b.relative.length ||
      a.depth - b.depth ||
      compareSegments(a.relative, b.relative) ||
      codeOrder(a.folder.path, b.folder.path) ||
      ROLES.indexOf(a.role) - ROLES.indexOf(b.role),
  )
  const taken = new Set(roles.values())
  for (const c of candidates) {
    if (taken.has(c.role) || roles.has(c.folder.path)) continue
    roles.set(c.folder.path, c.role)
    taken.add(c.role)
  }
  return roles
}

function compareSegments(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = codeOrder(a[i] as string, b[i] as string)
    if (order) return order
  }
  return a.length - b.length
}

/** UTF-16 code order, not localeCompare: the same on every machine, whatever LANG or the app's language. */
function codeOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
