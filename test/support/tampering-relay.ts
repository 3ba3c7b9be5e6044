import { connect, createServer, type Server, type Socket } from 'node:net'

/** What the relay does to the server's answers on their way to the client. */
export type Tamper =
  | { kind: 'pass' }
  /** After this many bytes of a FETCH with message sources, send garbage and keep the line open. */
  | { kind: 'garbage'; afterSourceBytes: number }
  /** Cut every connection once the server starts sending message sources. */
  | { kind: 'drop-during-bodies' }
  /** Announce the first message source in each answer as a 2 GB literal. */
  | { kind: 'huge-literal' }
  /**
   * Every chunk of every answer rewritten (same-length edits keep literals
   * intact), and optionally every chunk of the client's commands too.
   */
  | { kind: 'rewrite'; rewrite: (text: string) => string; rewriteClient?: (text: string) => string }

export interface TamperingRelay {
  port: number
  tamper: Tamper
  /** Every answer of the server reaches the client this much later (a slow link; default 0). */
  latencyMs: number
  /**
   * Send `text` (whole untagged lines) to every client whose connection is
   * in IDLE now, as if the server had said it; how many connections got it.
   */
  toIdling(text: string): number
  close(): Promise<void>
}

const SOURCE_LITERAL = /(BODY|BINARY)\[\] \{(\d+)\}\r\n/

/**
 * A TCP relay in front of a real IMAP server (plaintext, on loopback) that
 * plays a misbehaving server: garbage in the middle of an answer, a
 * connection dropped mid-transfer, a message announced as 2 GB, answers
 * edited on their way.
 */
export async function startTamperingRelay(upstreamPort: number): Promise<TamperingRelay> {
  const sockets = new Set<Socket>()
  const idling = new Set<Socket>()
  const relay: TamperingRelay = {
    port: 0,
    tamper: { kind: 'pass' },
    latencyMs: 0,
    toIdling(text) {
      for (const client of idling) client.write(text)
      return idling.size
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    let sourceBytes = 0
    let tampered = false
    // IDLE asked for and not yet ended with DONE: the server's "+" makes it idle.
    let idleAsked = false
    client.on('data', (d: Buffer) => {
      const text = d.toString('latin1')
      if (/^\S+ IDLE\r\n/im.test(text)) idleAsked = true
      if (/^DONE\r\n/im.test(text)) {
        idleAsked = false
        idling.delete(client)
      }
      const t = relay.tamper
      if (t.kind !== 'rewrite' || !t.rewriteClient) return void upstream.write(d)
      upstream.write(Buffer.from(t.rewriteClient(text), 'latin1'))
    })
    // Answers leave in order, each `latencyMs` after it came.
    let sent = Promise.resolve()
    upstream.on('data', (chunk: Buffer) => {
      if (idleAsked && chunk[0] === 0x2b /* + */) idling.add(client)
      if (relay.latencyMs <= 0) {
        forward(chunk)
        return
      }
      const due = Date.now() + relay.latencyMs
      sent = sent.then(() => new Promise<void>((resolve) => setTimeout(resolve, due - Date.now())))
      void sent.then(() => forward(chunk))
    })
    const forward = (chunk: Buffer) => {
      if (client.destroyed) return
      const t = relay.tamper
      if (t.kind === 'pass' || tampered) {
        if (!tampered) client.write(chunk)
        return
      }
      const text = chunk.toString('latin1')
      if (t.kind === 'rewrite') return void client.write(Buffer.from(t.rewrite(text), 'latin1'))
      const sending = sourceBytes > 0 || SOURCE_LITERAL.test(text)
      if (!sending) return void client.write(chunk)
      if (t.kind === 'drop-during-bodies') {
        tampered = true
        client.destroy()
        upstream.destroy()
        return
      }
      if (t.kind === 'huge-literal') {
        tampered = true
        client.write(
          Buffer.from(
            text.replace(SOURCE_LITERAL, (_m, kind: string) => `${kind}[] {2147483648}\r\n`),
            'latin1',
          ),
        )
        // Then a trickle of bytes, as if the 2 GB were on their way.
        client.write(Buffer.alloc(64 * 1024, 0x41))
        return
      }
      sourceBytes += chunk.length
      if (sourceBytes >= t.afterSourceBytes) {
        tampered = true
        client.write(
          Buffer.from(
            '\r\n* 1 FETCH (UID ))))(( BODY[] {x}\r\n\u0000\u00ff garbage )\r\nA7 OK ???\r\n',
            'latin1',
          ),
        )
        return
      }
      client.write(chunk)
    }
    const end = () => {
      client.destroy()
      upstream.destroy()
      idling.delete(client)
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  relay.port = (server.address() as { port: number }).port
  return relay
}

/**
 * A TCP relay that forwards to `upstreamPort`, or, while `stalled`, accepts
 * connections and says nothing (a server that hangs mid-conversation).
 */
export async function startStallingRelay(
  upstreamPort: number,
): Promise<{ port: number; stalled: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const state = {
    port: 0,
    stalled: false,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const server = createServer((client) => {
    sockets.add(client)
    client.on('error', () => client.destroy()).on('close', () => sockets.delete(client))
    if (state.stalled) return
    const upstream = connect(upstreamPort, '127.0.0.1')
    sockets.add(upstream)
    client.pipe(upstream).pipe(client)
    upstream
      .on('error', () => client.destroy())
      .on('close', () => {
        sockets.delete(upstream)
        client.destroy()
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as { port: number }).port
  return state
}
