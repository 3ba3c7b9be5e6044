import { Resolver } from 'node:dns/promises'
import { CairnError, errnoCode } from '../shared/errors.js'
import type { Endpoint } from './xmpp/transport.js'

export interface SrvLookup {
  (name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>
}

/** The system resolver's SRV lookup (tests point a Resolver at their own DNS server). */
export function systemSrv(servers?: string[]): SrvLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 })
  if (servers) resolver.setServers(servers)
  return (name) => resolver.resolveSrv(name)
}

/**
 * Where the XMPP service of `domain` lives (RFC 6120 §3.2, XEP-0368): the
 * SRV records for direct TLS (_xmpps-client) and STARTTLS (_xmpp-client),
 * by priority; a "." target means the domain says it offers no XMPP. With
 * no records at all, the domain itself on port 5222 (RFC 6120's fallback).
 */
export async function discoverEndpoints(
  domain: string,
  lookup: SrvLookup = systemSrv(),
): Promise<{ endpoints: Endpoint[]; fromSrv: boolean }> {
  const records: (Endpoint & { priority: number; weight: number })[] = []
  let refused = false
  for (const [service, directTls] of [
    ['_xmpps-client._tcp', true],
    ['_xmpp-client._tcp', false],
  ] as const) {
    try {
      for (const record of await lookup(`${service}.${domain}`)) {
        if (record.name === '' || record.name === '.') {
          refused = true
          continue
        }
        if (!Number.isInteger(record.port) || record.port < 1 || record.port > 65535) continue
        records.push({
          host: record.name.replace(/\.$/, ''),
          port: record.port,
          directTls,
          priority: record.priority,
          weight: record.weight,
        })
      }
    } catch (error) {
      const code = errnoCode(error)
      if (
        code !== 'ENOTFOUND' &&
        code !== 'ENODATA' &&
        code !== 'ESERVFAIL' &&
        code !== 'ETIMEOUT' &&
        code !== 'ECONNREFUSED'
      )
        throw error
    }
  }
  if (records.length > 0) {
    records.sort(
      (a, b) =>
        a.priority - b.priority || b.weight - a.weight || Number(b.directTls) - Number(a.directTls),
    )
    return {
      endpoints: records.map(({ host, port, directTls }) => ({ host, port, directTls })),
      fromSrv: true,
    }
  }
  if (refused) {
    throw new CairnError(
      'CHAT_NO_XMPP',
      `The domain ${domain} says it offers no chat (XMPP) service.`,
    )
  }
  return { endpoints: [{ host: domain, port: 5222, directTls: false }], fromSrv: false }
}

/** "host:port" or "host" (port 5222), or "[v6]:port". */
export function parseServer(value: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value)
  const port = match?.[2] === undefined ? 5222 : Number(match[2])
  if (!match || !match[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `"${value}" is not a server address (use HOST or HOST:PORT).`,
    )
  }
  return { host: match[1], port }
}
