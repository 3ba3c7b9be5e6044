import { NS } from '../xmpp/namespaces.js'
import { el, type XmlElement } from '../xmpp/xml.js'
import type { ChatStateValue } from '../types.js'

/**
 * A chat message as Cairn sends it: our id twice (the stanza id and an
 * XEP-0359 origin-id, which servers and MUC rooms keep), a request for a
 * delivery receipt (XEP-0184), markable for read markers (XEP-0333), and
 * "active" (XEP-0085). A file goes as its URL in the body and as XEP-0066
 * out-of-band data, which is what other clients show as a file.
 */
export function chatMessage(options: {
  to: string
  id: string
  body: string
  group?: boolean
  url?: string | null
}): XmlElement {
  const group = options.group ?? false
  return el(
    'message',
    { to: options.to, type: group ? 'groupchat' : 'chat', id: options.id, 'xml:lang': 'en' },
    el('body', {}, options.body),
    el('origin-id', { xmlns: NS.sid, id: options.id }),
    !group && el('request', { xmlns: NS.receipts }),
    el('markable', { xmlns: NS.markers }),
    el('active', { xmlns: NS.chatStates }),
    options.url ? el('x', { xmlns: NS.oob }, el('url', {}, options.url)) : null,
  )
}

export function chatState(to: string, state: ChatStateValue, group = false): XmlElement {
  return el(
    'message',
    { to, type: group ? 'groupchat' : 'chat' },
    el(state, { xmlns: NS.chatStates }),
    el('no-store', { xmlns: NS.hints }),
  )
}

export function receipt(to: string, id: string): XmlElement {
  return el(
    'message',
    { to, type: 'chat' },
    el('received', { xmlns: NS.receipts, id }),
    el('store', { xmlns: NS.hints }),
  )
}

export function displayedMarker(to: string, id: string, group = false): XmlElement {
  return el(
    'message',
    { to, type: group ? 'groupchat' : 'chat' },
    el('displayed', { xmlns: NS.markers, id }),
    el('store', { xmlns: NS.hints }),
  )
}

/** A MAM query (XEP-0313) with result set paging (XEP-0059). */
export function archiveQuery(options: {
  queryId: string
  to?: string
  with?: string
  /** Only messages from this time on (ms since 1970). */
  start?: number
  after?: string | null
  before?: string | null
  max: number
}): XmlElement {
  const fields = [el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', {}, NS.mam))]
  if (options.with) fields.push(el('field', { var: 'with' }, el('value', {}, options.with)))
  if (options.start !== undefined)
    fields.push(
      el('field', { var: 'start' }, el('value', {}, new Date(options.start).toISOString())),
    )
  const rsm = el('set', { xmlns: NS.rsm }, el('max', {}, String(options.max)))
  if (options.after) rsm.append(el('after', {}, options.after))
  if (options.before !== undefined && options.before !== null)
    rsm.append(el('before', {}, options.before))
  return el(
    'iq',
    { type: 'set', to: options.to },
    el(
      'query',
      { xmlns: NS.mam, queryid: options.queryId },
      el('x', { xmlns: NS.dataForms, type: 'submit' }, ...fields),
      rsm,
    ),
  )
}

export function rosterGet(version: string | null): XmlElement {
  return el(
    'iq',
    { type: 'get' },
    el('query', { xmlns: NS.roster, ...(version !== null ? { ver: version } : {}) }),
  )
}

export function rosterSet(jid: string, name: string | null, remove = false): XmlElement {
  return el(
    'iq',
    { type: 'set' },
    el(
      'query',
      { xmlns: NS.roster },
      el('item', { jid, ...(remove ? { subscription: 'remove' } : {}), ...(name ? { name } : {}) }),
    ),
  )
}

export function presence(
  type?: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'unavailable',
  to?: string,
) {
  return el('presence', { to, type })
}

export function mucJoin(
  roomJid: string,
  nick: string,
  history: { since?: number; maxstanzas?: number },
): XmlElement {
  return el(
    'presence',
    { to: `${roomJid}/${nick}` },
    el(
      'x',
      { xmlns: NS.muc },
      el('history', {
        since:
          history.since !== undefined
            ? new Date(history.since).toISOString().replace(/\.\d+Z$/, 'Z')
            : undefined,
        maxstanzas: history.maxstanzas,
      }),
    ),
  )
}

export function uploadSlotRequest(
  service: string,
  file: { name: string; size: number; type: string },
): XmlElement {
  return el(
    'iq',
    { type: 'get', to: service },
    el('request', {
      xmlns: NS.upload,
      filename: file.name,
      size: file.size,
      'content-type': file.type,
    }),
  )
}
