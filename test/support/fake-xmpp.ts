import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import type { TestCa } from './prosody'

export interface FakeConnection {
  /** Raw bytes to the client, after login: anything, well-formed or not. */
  write(data: string): void
  /** Close the TCP connection without closing the stream. */
  cut(): void
  /** Everything the client sent after login. */
  received(): string
}

/**
 * A scripted XMPP "server" for what Prosody would never send: malformed
 * XML, a stream cut mid-stanza, a server that offers no TLS. It speaks just
 * enough of the protocol (STARTTLS with the test certificate, SASL PLAIN
 * accepting anyone, resource binding, empty answers to every IQ) to bring
 * a client online, then hands each connection to `script`.
 */
export async function startFakeXmpp(options: {
  ca: TestCa
  offerTls?: boolean
  script: (connection: FakeConnection, index: number) => void | Promise<void>
  /** Sees what the client sends once online (before the automatic IQ answers). */
  onData?: (data: string, connection: FakeConnection) => void
}): Promise<{ port: number; connections: number; plaintext(): string; close(): Promise<void> }> {
  const key = readFileSync(options.ca.keyFile)
  const cert = readFileSync(options.ca.certFile)
  const sockets = new Set<Socket>()
  let connections = 0
  let plaintext = ''
  const header = (id: string) =>
    `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='${id}' version='1.0'>`
  const server: Server = createServer((plain) => {
    sockets.add(plain)
    plain.on('close', () => sockets.delete(plain))
    plain.on('error', () => undefined)
    const index = connections++
    let socket: Socket = plain
    let stage: 'header' | 'tls' | 'auth' | 'header2' | 'bind' | 'online' = 'header'
    let buffer = ''
    let log = ''
    let authed = false
    const connection: FakeConnection = {
      write: (data) => void socket.write(data),
      cut: () => socket.destroy(),
      received: () => log,
    }
    const onData = (chunk: Buffer) => {
      if (socket === plain) plaintext += chunk.toString('utf8')
      buffer += chunk.toString('utf8')
      if (stage === 'online') log += chunk.toString('utf8')
      for (;;) {
        if (stage === 'header' || stage === 'header2') {
          if (!buffer.includes('<stream:stream')) return
          buffer = buffer.slice(buffer.indexOf('>', buffer.indexOf('<stream:stream')) + 1)
          if (!authed && socket === plain && options.offerTls !== false) {
            socket.write(
              `${header('s1')}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`,
            )
            stage = 'tls'
          } else if (!authed) {
            socket.write(
              `${header('s2')}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
            )
            stage = 'auth'
          } else {
            socket.write(
              `${header('s3')}<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
            )
            stage = 'bind'
          }
          continue
        }
        if (stage === 'tls') {
          if (!buffer.includes('<starttls')) return
          buffer = ''
          plain.write(`<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
          plain.removeListener('data', onData)
          const secure = new TLSSocket(plain, { isServer: true, key, cert })
          secure.on('error', () => undefined)
          secure.on('data', onData)
          socket = secure
          stage = 'header'
          return
        }
        if (stage === 'auth') {
          if (!buffer.includes('</auth>') && !/<auth[^>]*\/>/.test(buffer)) return
          buffer = ''
          authed = true
          socket.write(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)
          stage = 'header2'
          continue
        }
        if (stage === 'bind') {
          const match = /<iq[^>]*id='([^']+)'/.exec(buffer)
          if (!match) return
          buffer = ''
          socket.write(
            `<iq type='result' id='${match[1]}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/fake</jid></bind></iq>`,
          )
          stage = 'online'
          setTimeout(() => void options.script(connection, index), 50)
          return
        }
        options.onData?.(buffer, connection)
        if (socket.destroyed) return
        // online: answer every IQ with an empty result, so the client never waits.
        for (const match of buffer.matchAll(/<iq[^>]*type='(?:get|set)'[^>]*>/g)) {
          const id = /id='([^']+)'/.exec(match[0])?.[1]
          if (id) socket.write(`<iq type='result' id='${id}'/>`)
        }
        buffer = ''
        return
      }
    }
    plain.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get connections() {
      return connections
    },
    plaintext: () => plaintext,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
