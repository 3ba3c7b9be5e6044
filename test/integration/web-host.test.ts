import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { openServices, type CairnServices } from '../../main/services'
import { tempDir } from '../support/temp'

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer')
let host: WebHost | undefined
let services: CairnServices | undefined

afterEach(async () => {
  await host?.close()
  await services?.close()
  host = undefined
  services = undefined
})

async function start(): Promise<{ host: WebHost; token: string; origin: string }> {
  services = openServices(tempDir())
  host = await startWebHost({ services, rendererDir })
  const url = new URL(host.url)
  return {
    host,
    token: new URLSearchParams(url.hash.slice(1)).get('token') as string,
    origin: url.origin,
  }
}

function connect(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
      .on('error', reject)
      .end()
  })
}

describe('browser build host', () => {
  it('answers contract calls over the socket with the right token and origin', async () => {
    const { host, token, origin } = await start()
    const ws = await connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, origin)
    const reply = new Promise<unknown>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
    )
    ws.send(JSON.stringify({ id: 7, method: 'mail.overview', input: {} }))
    expect(await reply).toEqual({ id: 7, envelope: { ok: true, value: { messageCount: 0 } } })
    ws.close()
  })

  it('refuses a wrong or missing token and a foreign origin', async () => {
    const { host, token, origin } = await start()
    await expect(connect(`ws://127.0.0.1:${host.port}/ws?token=wrong`, origin)).rejects.toThrow(
      'HTTP 403',
    )
    await expect(connect(`ws://127.0.0.1:${host.port}/ws`, origin)).rejects.toThrow('HTTP 403')
    await expect(
      connect(`ws://127.0.0.1:${host.port}/ws?token=${token}`, 'http://evil.example'),
    ).rejects.toThrow('HTTP 403')
  })

  it('serves the renderer and nothing outside it', async () => {
    const { host } = await start()
    expect(await get(host.port, '/')).toBe(200)
    expect(await get(host.port, '/../package.json')).toBe(404)
    expect(await get(host.port, '/%2e%2e/package.json')).toBe(404)
    expect(await get(host.port, '/assets/../../package.json')).toBe(404)
  })
})
