import { createSocket } from 'node:dgram'

export interface SrvAnswer {
  priority: number
  weight: number
  port: number
  target: string
}

/**
 * A tiny authoritative DNS server on a loopback UDP port that answers SRV
 * questions from a table (and "no such name" for everything else): enough
 * for Cairn's SRV discovery to run against real DNS packets.
 */
export async function startDns(
  records: Record<string, SrvAnswer[]>,
): Promise<{ address: string; close(): void }> {
  const socket = createSocket('udp4')
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
    const name = labels.join('.').toLowerCase()
    const qtype = query.readUInt16BE(offset + 1)
    const answers = qtype === 33 ? (records[name] ?? null) : null
    const header = Buffer.alloc(12)
    query.copy(header, 0, 0, 2)
    header.writeUInt16BE(0x8400 | (answers ? 0 : 3), 2) // response, authoritative, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(answers?.length ?? 0, 6)
    const parts: Buffer[] = [header, Buffer.from(query.subarray(12, questionEnd))]
    for (const answer of answers ?? []) {
      const target = encodeName(answer.target)
      const rdata = Buffer.alloc(6)
      rdata.writeUInt16BE(answer.priority, 0)
      rdata.writeUInt16BE(answer.weight, 2)
      rdata.writeUInt16BE(answer.port, 4)
      const record = Buffer.alloc(12)
      record.writeUInt16BE(0xc00c, 0) // the question's name
      record.writeUInt16BE(33, 2)
      record.writeUInt16BE(1, 4)
      record.writeUInt32BE(60, 6)
      record.writeUInt16BE(rdata.length + target.length, 10)
      parts.push(record, rdata, target)
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() }
}

function encodeName(name: string): Buffer {
  if (name === '.' || name === '') return Buffer.from([0])
  const parts = name.replace(/\.$/, '').split('.')
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])),
    Buffer.from([0]),
  ])
}
