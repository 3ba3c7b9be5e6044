import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { CairnServices } from '../services.js'
import { APP_VERSION } from '../shared/version.js'
import { dispatch } from './dispatch.js'
import { forwardEvents } from './events.js'
import { createHandlers } from './handlers.js'

export interface WebHost {
  /** Open this in a browser: the token travels in the fragment, never to a server log. */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}

/** Largest call accepted over the socket; real calls are a few hundred bytes. */
const MAX_MESSAGE_BYTES = 1024 * 1024

/**
 * The browser build's host: serves the renderer and runs the same services
 * as the desktop app behind a WebSocket on the loopback interface. A random
 * per-run token (compared in constant time) and an Origin check keep other
 * local pages and processes from driving it.
 */
export async function startWebHost(options: {
  services: CairnServices
  rendererDir: string
  port?: number
}): Promise<WebHost> {
  const { services, rendererDir } = options
  const token = randomBytes(32).toString('base64url')
  const handlers = createHandlers(
    { profileDir: services.profile.paths.dir, mail: services.mail },
    {
      info: {
        version: APP_VERSION,
        platform: process.platform,
        capabilities: { nativeDialogs: false },
      },
    },
  )

  const http = createServer((req, res) => {
    void serveStatic(rendererDir, req, res)
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  let origin = ''

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const given = Buffer.from(url.searchParams.get('token') ?? '')
    const expected = Buffer.from(token)
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected)
    if (url.pathname !== '/ws' || !tokenOk || req.headers.origin !== origin) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws))
  })

  const serveSocket = (ws: WebSocket) => {
    const stopEvents = forwardEvents(services, (event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }))
    })
    ws.on('close', stopEvents)
    ws.on('message', (data) => {
      let request: { id?: unknown; method?: unknown; input?: unknown }
      try {
        request = JSON.parse(data.toString()) as typeof request
      } catch {
        ws.close(1003, 'not JSON')
        return
      }
      if (typeof request.id !== 'number') {
        ws.close(1003, 'no id')
        return
      }
      const requestId = request.id
      void dispatch(handlers, request.method, request.input).then((envelope) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: requestId, envelope }))
      })
    })
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/#token=${token}`,
    port,
    async close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end()
    return
  }
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
  const relative = normalize(pathname === '/' ? '/index.html' : pathname)
  const file = join(root, relative)
  if (!file.startsWith(root + sep)) {
    res.writeHead(404).end()
    return
  }
  try {
    const body = await readFile(file)
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch {
    res.writeHead(404).end()
  }
}
