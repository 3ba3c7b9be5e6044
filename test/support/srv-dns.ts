import { createSocket, type Socket } from 'node:dgram'

export interface SrvAnswer {
  priority: number
  weight: number
  port: number
  target: string
}

/**
 * A DNS server on a loopback UDP port that answers SRV questions from a
 * table (and NXDOMAIN otherwise): enough for RFC 6186 look-ups against a
 * resolver pointed at it.
 */
export async function startSrvDns(
  records: Record<string, SrvAnswer[]>,
): Promise<{ server: string; close: () => void }> {
  const socket: Socket = createSocket('udp4')
  socket.on('message', (query, peer) => {
    if (query.length < 12) return
    let offset = 12
    const labels: string[] = []
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset] as number
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'))
      offset += length + 1
    }
    const questionEnd = offset + 5
    const qtype = query.readUInt16BE(offset + 1)
    const name = labels.join('.').toLowerCase()
    const answers = qtype === 33 ? (records[name] ?? []) : []
    const header = Buffer.alloc(12)
    query.copy(header, 0, 0, 2)
    header.writeUInt16BE(answers.length ? 0x8180 : 0x8183, 2)
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(answers.length, 6)
    const parts = [header, query.subarray(12, questionEnd)]
    for (const a of answers) {
      const target = Buffer.concat([
        ...a.target
          .split('.')
          .filter(Boolean)
          .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
        Buffer.from([0]),
      ])
      const rdata = Buffer.alloc(6)
      rdata.writeUInt16BE(a.priority, 0)
      rdata.writeUInt16BE(a.weight, 2)
      rdata.writeUInt16BE(a.port, 4)
      const fixed = Buffer.alloc(12)
      fixed.writeUInt16BE(0xc00c, 0) // the name: a pointer to the question
      fixed.writeUInt16BE(33, 2)
      fixed.writeUInt16BE(1, 4)
      fixed.writeUInt32BE(60, 6)
      fixed.writeUInt16BE(rdata.length + target.length, 10)
      parts.push(fixed, rdata, target)
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { server: `127.0.0.1:${socket.address().port}`, close: () => socket.close() }
}
