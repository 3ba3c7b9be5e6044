import type { MailDb } from '../mail/db/connection.js'
import { rosterGet } from './protocol/outgoing.js'
import {
  removeRosterItem,
  replaceRoster,
  setRosterVersion,
  syncState,
  upsertRosterItem,
  type RosterItem,
} from './store/roster.js'
import { bareJid, parseJid, toBare } from './xmpp/jid.js'
import { NS } from './xmpp/namespaces.js'
import type { XmppSession } from './xmpp/session.js'
import type { XmlElement } from './xmpp/xml.js'

/**
 * Fetch the roster (RFC 6121 §2), incrementally when the server supports
 * versioning: an empty answer means "unchanged since the version we hold".
 * Returns the JIDs it stored.
 */
export async function fetchRoster(
  session: XmppSession,
  db: MailDb,
  accountId: number,
): Promise<string[]> {
  const version = syncState(db, accountId).roster_version
  const answer = await session.iq(rosterGet(version))
  const query = answer.child('query', NS.roster)
  if (!query) return []
  const items = query
    .elements('item')
    .map(readRosterItem)
    .filter((i): i is RosterItem => i !== null)
  db.transaction(() => {
    replaceRoster(db, accountId, items)
    setRosterVersion(db, accountId, query.attrs.ver ?? null)
  })()
  return items.map((i) => i.jid)
}

/**
 * A roster push: only from the server on our account's behalf, i.e. with no
 * `from` or `from` exactly our bare JID (RFC 6121 §2.1.6); anything else is
 * refused (throwing makes the session answer with an error). Returns the
 * JIDs it changed.
 */
export function applyRosterPush(
  iq: XmlElement,
  db: MailDb,
  accountId: number,
  own: string,
): string[] {
  const from = iq.attrs.from
  if (from !== undefined && !isOwnBareJid(from, own))
    throw new Error('roster push from someone other than our server')
  const query = iq.child('query', NS.roster)
  const changed: string[] = []
  for (const element of query?.elements('item') ?? []) {
    const jid = toBare(element.attrs.jid)
    if (!jid) continue
    if (element.attrs.subscription === 'remove') removeRosterItem(db, accountId, jid)
    else {
      const item = readRosterItem(element)
      if (item) upsertRosterItem(db, accountId, item)
    }
    changed.push(jid)
  }
  if (query?.attrs.ver !== undefined) setRosterVersion(db, accountId, query.attrs.ver)
  return changed
}

/**
 * The bare JID itself, not just its bare part: a full JID (ours/another-resource)
 * is another client logged in as us, maybe a hostile one, and a push from it
 * would add contacts whose files are then fetched and who get our receipts.
 */
function isOwnBareJid(from: string, own: string): boolean {
  const jid = parseJid(from)
  return jid !== null && jid.resource === '' && bareJid(jid) === own
}

function readRosterItem(element: XmlElement): RosterItem | null {
  const jid = toBare(element.attrs.jid)
  if (!jid) return null
  const subscription =
    (['none', 'to', 'from', 'both'] as const).find((s) => s === element.attrs.subscription) ??
    'none'
  return {
    jid,
    name: (element.attrs.name ?? '').slice(0, 200),
    subscription,
    ask: element.attrs.ask === 'subscribe',
    groups: element
      .elements('group')
      .map((g) => g.text().slice(0, 100))
      .slice(0, 50),
  }
}
