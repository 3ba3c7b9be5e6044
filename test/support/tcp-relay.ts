import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP relay in front of a loopback server, to cut the network (every open
 * connection dropped, new ones refused) or slow it down without stopping
 * the server behind it (moto keeps its data in memory).
 */
export async function startRelay(targetPort: number): Promise<{
  port: number
  /** Drop every connection now, and refuse new ones until restore(). */
  cut(): void
  restore(): void
  /** Hold every byte from the server for `ms` before passing it on (a slow server). */
  delay(ms: number): void
  /**
   * Drop every connection once `bytes` have gone upstream in all (a link
   * lost mid-upload). With `blip`, new connections are let through again at once.
   */
  cutAfter(bytes: number, options?: { blip?: boolean }): void
  /**
   * Drop every connection once `bytes` have come back from the server in
   * all (a link lost mid-download). With `blip`, new connections are let
   * through again at once (a short outage); else refused until restore().
   */
  cutAfterDown(bytes: number, options?: { blip?: boolean }): void
  /**
   * See, or change, what goes up (client → server) before it is passed on:
   * `offset` is where `data` starts in everything relayed up so far (a
   * damaged byte on the way, or a look at the requests). null: plain relay.
   */
  tamperUp(tamper: ((data: Buffer, offset: number) => Buffer) | null): void
  /**
   * Stop forwarding, now, without closing anything: every byte either way
   * is swallowed and new connections are accepted and left unanswered (a
   * server, or a link, that stops answering mid-conversation). Ends with
   * restore(), for new connections (the swallowed ones are lost).
   */
  stall(): void
  /** stall() once `bytes` more have gone upstream (a server that stops answering mid-upload). */
  stallAfter(bytes: number): void
  /** stall() once `bytes` more have come back from the server (one that stops mid-download). */
  stallAfterDown(bytes: number): void
  /** Client connections still open (a dropped one is gone from here). */
  openConnections(): number
  /** Bytes relayed so far: up (client → server) and down; and how many times the link was cut. */
  readonly relayed: { up: number; down: number; cuts: number }
  close(): Promise<void>
}> {
  const sockets = new Set<Socket>()
  const clients = new Set<Socket>()
  let refusing = false
  let delayMs = 0
  let budget = Number.POSITIVE_INFINITY
  let downBudget = Number.POSITIVE_INFINITY
  let blip = false
  let tamperUp: ((data: Buffer, offset: number) => Buffer) | null = null
  let stalled = false
  let stallUp = Number.POSITIVE_INFINITY
  let stallDown = Number.POSITIVE_INFINITY
  const relayed = { up: 0, down: 0, cuts: 0 }
  const cutAll = () => {
    refusing = true
    relayed.cuts += 1
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  /**
   * Bytes go on only as fast as the far side takes them, as over a real
   * link: without this the relay read a fast server's whole answer into
   * memory, and a cut then lost megabytes the client had never seen.
   */
  const forward = (d: Buffer, from: Socket, to: Socket) => {
    if (to.write(d)) return
    from.pause()
    to.once('drain', () => from.resume())
  }
  const server: Server = createServer((client) => {
    clients.add(client)
    client.once('close', () => clients.delete(client))
    if (refusing) {
      client.destroy()
      return
    }
    if (stalled) {
      // Accepted, and never a word back.
      sockets.add(client)
      client.on('data', () => undefined)
      client.on('error', () => client.destroy())
      client.on('close', () => sockets.delete(client))
      return
    }
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    client.on('data', (data: Buffer) => {
      if (stalled) return
      stallUp -= data.length
      if (stallUp <= 0) {
        stallUp = Number.POSITIVE_INFINITY
        stalled = true
        return
      }
      const d = tamperUp ? tamperUp(data, relayed.up) : data
      budget -= d.length
      relayed.up += d.length
      if (budget <= 0) {
        budget = Number.POSITIVE_INFINITY
        cutAll()
        if (blip) refusing = false
      } else forward(d, client, upstream)
    })
    upstream.on('data', (d: Buffer) => {
      if (stalled) return
      stallDown -= d.length
      if (stallDown <= 0) {
        stallDown = Number.POSITIVE_INFINITY
        stalled = true
        return
      }
      downBudget -= d.length
      relayed.down += d.length
      if (downBudget <= 0) {
        downBudget = Number.POSITIVE_INFINITY
        cutAll()
        if (blip) refusing = false
        return
      }
      if (delayMs > 0) setTimeout(() => client.writable && client.write(d), delayMs)
      else forward(d, upstream, client)
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', close)
    // What the server sent before closing still arrives before the close (late, with a delay):
    // destroying the client at once dropped what the relay still held, as a reset mid-answer.
    upstream.on('close', () => {
      // A stalled link passes on nothing, not even the server giving up.
      if (stalled) return
      if (delayMs > 0) setTimeout(close, delayMs + 50)
      else client.end()
    })
    client.on('error', close)
    upstream.on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    cut: cutAll,
    restore: () => {
      refusing = false
      stalled = false
      stallUp = Number.POSITIVE_INFINITY
      stallDown = Number.POSITIVE_INFINITY
      budget = Number.POSITIVE_INFINITY
      downBudget = Number.POSITIVE_INFINITY
    },
    delay: (ms) => (delayMs = ms),
    cutAfter: (bytes, options = {}) => {
      budget = bytes
      blip = options.blip ?? false
    },
    cutAfterDown: (bytes, options = {}) => {
      downBudget = bytes
      blip = options.blip ?? false
    },
    tamperUp: (tamper) => (tamperUp = tamper),
    stall: () => (stalled = true),
    stallAfter: (bytes) => (stallUp = bytes),
    stallAfterDown: (bytes) => (stallDown = bytes),
    relayed,
    openConnections: () => clients.size,
    close: async () => {
      cutAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
