import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A tiny HTTP front end for the vault tests: forwards each request to the
 * URL `target()` picks (round-robin over nodes, say) and may rewrite JSON
 * answers on the way (to play a tampering middlebox).
 */
export async function startProxy(options: {
  target: () => string
  rewrite?: (path: string, status: number, body: string) => string
}): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const target = new URL(options.target())
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        const parts: Buffer[] = []
        answer.on('data', (d: Buffer) => parts.push(d))
        answer.on('end', () => {
          const body = Buffer.concat(parts).toString()
          res.writeHead(answer.statusCode ?? 500, { 'content-type': 'application/json' })
          res.end(
            options.rewrite ? options.rewrite(req.url ?? '', answer.statusCode ?? 0, body) : body,
          )
        })
      },
    )
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
