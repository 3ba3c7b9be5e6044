import { BlockList, isIP, type Server } from 'node:net'

/**
 * Which peers are the operator's own TLS front ends, whose X-Forwarded-For
 * header names the real client. Nobody else's header is believed: a client
 * could otherwise pick a fresh address for every request and escape the
 * per-address limit.
 */
export function proxyTrust(entries: string[]): (address: string) => boolean {
  if (entries.length === 0) return () => false
  const list = new BlockList()
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined]
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
  }
  return (address) => {
    const plain = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address
    const family = isIP(plain)
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }
}

/**
 * At most `perAddress` open connections from one socket address (trusted
 * front ends excepted: every user arrives through them). The node-wide cap
 * is the server's maxConnections.
 */
export function capConnectionsPerAddress(
  server: Server,
  perAddress: number,
  trusted: (address: string) => boolean,
): void {
  if (perAddress <= 0) return
  const open = new Map<string, number>()
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? ''
    if (trusted(address)) return
    const count = (open.get(address) ?? 0) + 1
    if (count > perAddress) {
      socket.destroy()
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left > 0) open.set(address, left)
      else open.delete(address)
    })
  })
}
