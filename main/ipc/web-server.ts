import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { openServices, type CairnServices } from '../services.js'
import { serveAppControl, type AppControlServer } from './app-control-server.js'
import { createServiceContext, type HostAdapter, type OwnedServiceContext } from './context.js'
import type { ProfileSession } from './profile-session.js'
import { createRouter, type Log } from './router.js'
import { createUiHandler } from './ui-handler.js'

export interface WebHost {
  /** Open this in a browser: the token travels in the fragment, never to a server log. */
  readonly url: string
  readonly port: number
  /** The context the host serves (tests reach the backup manager and restores through it). */
  readonly context: OwnedServiceContext
  close(): Promise<void>
}

/** Largest call accepted over the socket; real calls are a few hundred bytes. */
const MAX_MESSAGE_BYTES = 1024 * 1024

/**
 * The browser build's host: serves the UI (ui-handler.ts, shared with the
 * desktop app's app: protocol) and runs the same services as the desktop
 * app behind a WebSocket on the loopback interface.
 * - A random per-run token (compared in constant time) and an Origin check
 *   keep other local pages and processes from driving the socket.
 * - The Host header must name this server, so a page whose DNS name is
 *   rebound to 127.0.0.1 cannot read anything from it.
 * - Mail frames and inline images need a per-message capability id.
 */
export async function startWebHost(options: {
  /** The profile to serve: a session (which a restore can close and open again), or open services. */
  services?: CairnServices
  session?: ProfileSession
  rendererDir: string
  port?: number
  log?: Log
  /** What this host knows beyond the defaults (the environment, the user data folder). */
  host?: HostAdapter
  /** Serve `cairn backup` / `cairn restore` for this profile over the local control socket (default: on). */
  appControl?: boolean
}): Promise<WebHost> {
  const { rendererDir } = options
  const source = options.session ?? options.services
  if (!source) throw new Error('startWebHost needs a session or services')
  const token = randomBytes(32).toString('base64url')
  const ctx = createServiceContext(source, options.host ?? {}, (dir) => openServices(dir))
  const control: AppControlServer | null =
    options.appControl === false
      ? null
      : await serveAppControl(ctx, ctx.info.profileDir, options.host?.env)
  const router = createRouter(ctx, { transport: 'websocket', log: options.log })
  const http = createServer()
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  // Handlers are attached before any connection is read (this runs before the next I/O turn).
  const port = (http.address() as AddressInfo).port
  const host = `127.0.0.1:${port}`
  const origin = `http://${host}`
  const ui = createUiHandler({
    rendererDir,
    origin,
    views: ctx.mailViews,
    chatFiles: ctx.chatFiles,
  })

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void serveHttp(req, res)
  })
  const serveHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const response = await answer(req)
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => (headers[name] = value))
      const bytes = Buffer.from(await response.arrayBuffer())
      res.writeHead(response.status, headers)
      res.end(req.method === 'HEAD' ? undefined : bytes)
    } catch (error) {
      console.error('[web-host] request failed:', error)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  }
  const answer = async (req: IncomingMessage): Promise<Response> => {
    if (req.headers.host !== host) return new Response('Misdirected request', { status: 421 })
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, HEAD' } })
    const target = req.url ?? ''
    if (!target.startsWith('/')) return new Response('Bad request', { status: 400 })
    let request: Request
    try {
      request = new Request(origin + target, { method: req.method })
    } catch {
      return new Response('Bad request', { status: 400 })
    }
    return ui(request)
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    let url: URL | null = null
    try {
      url = new URL(origin + (req.url ?? '/'))
    } catch {
      // answered below as forbidden
    }
    const given = Buffer.from(url?.searchParams.get('token') ?? '')
    const expected = Buffer.from(token)
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected)
    if (
      url?.pathname !== '/ws' ||
      !tokenOk ||
      req.headers.origin !== origin ||
      req.headers.host !== host
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws))
  })

  const serveSocket = (ws: WebSocket) => {
    const stopEvents = router.subscribe((event, payload) => {
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
      if (typeof request !== 'object' || request === null || typeof request.id !== 'number') {
        ws.close(1003, 'no id')
        return
      }
      const requestId = request.id
      void router.call(request.method, request.input).then((envelope) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: requestId, envelope }))
      })
    })
  }

  return {
    url: `${origin}/#token=${token}`,
    port,
    context: ctx,
    async close() {
      await control?.close()
      for (const client of wss.clients) client.terminate()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      ctx.close()
    },
  }
}
