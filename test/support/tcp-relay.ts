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
  /** Drop every connection once `bytes` have gone upstream in all (a link lost mid-upload). */
  cutAfter(bytes: number): void
  close(): Promise<void>
}> {
  const sockets = new Set<Socket>()
  let refusing = false
  let delayMs = 0
  let budget = Number.POSITIVE_INFINITY
  const cutAll = () => {
    refusing = true
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    client.on('data', (d: Buffer) => {
      budget -= d.length
      if (budget <= 0) cutAll()
      else upstream.write(d)
    })
    upstream.on('data', (d: Buffer) => {
      if (delayMs > 0) setTimeout(() => client.writable && client.write(d), delayMs)
      else client.write(d)
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', close)
    // With a delay, what the server sent before closing still arrives (late) before the close.
    upstream.on('close', () => (delayMs > 0 ? setTimeout(close, delayMs + 50) : close()))
    client.on('error', close)
    upstream.on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    cut: cutAll,
    restore: () => {
      refusing = false
      budget = Number.POSITIVE_INFINITY
    },
    delay: (ms) => (delayMs = ms),
    cutAfter: (bytes) => (budget = bytes),
    close: async () => {
      cutAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
