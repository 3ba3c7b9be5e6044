/**
 * Jabber IDs (RFC 7622), checked and normalised the way Cairn compares them:
 * local part and domain lower-cased (and NFKC), resource kept as sent.
 * Anything a server or a contact sends is parsed here before it names a
 * chat, so a malformed JID is refused instead of becoming a conversation.
 */
export interface Jid {
  local: string
  domain: string
  resource: string
}

const LOCAL_FORBIDDEN = /["&'/:<>@\s\p{Cc}]/u
const DOMAIN_FORBIDDEN = /[\s\p{Cc}/@]/u

export function parseJid(input: string): Jid | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > 3071) return null
  const slash = input.indexOf('/')
  const resource = slash === -1 ? '' : input.slice(slash + 1)
  const address = slash === -1 ? input : input.slice(0, slash)
  const at = address.indexOf('@')
  const local = (at === -1 ? '' : address.slice(0, at)).normalize('NFKC').toLowerCase()
  let domain = (at === -1 ? address : address.slice(at + 1)).normalize('NFKC').toLowerCase()
  if (domain.endsWith('.')) domain = domain.slice(0, -1)
  if (slash !== -1 && resource.length === 0) return null
  if (at !== -1 && local.length === 0) return null
  if (local.length > 1023 || domain.length === 0 || domain.length > 1023 || resource.length > 1023)
    return null
  if (LOCAL_FORBIDDEN.test(local) || DOMAIN_FORBIDDEN.test(domain)) return null
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(resource)) return null
  return { local, domain, resource }
}

export function bareJid(jid: Jid): string {
  return jid.local ? `${jid.local}@${jid.domain}` : jid.domain
}

export function fullJid(jid: Jid): string {
  return jid.resource ? `${bareJid(jid)}/${jid.resource}` : bareJid(jid)
}

/** The normalised bare JID of `input`, or null when it is not a JID. */
export function toBare(input: string | undefined): string | null {
  if (input === undefined) return null
  const jid = parseJid(input)
  return jid ? bareJid(jid) : null
}

/** A user's JID: local@domain, no resource. Throws nothing; null when it is not one. */
export function parseAccountJid(input: string): Jid | null {
  const jid = parseJid(input.trim())
  if (!jid || !jid.local || jid.resource) return null
  return jid
}
