import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../main/ipc/bridge'
import { contract } from '../../main/ipc/contract'
import { eventTable } from '../../main/ipc/define'
import { runSandboxedPreload } from '../support/sandboxed-preload'

// The preload as it ships: built by the tests' global setup, exactly as `npm run build` does.
const builtPreload = join(import.meta.dirname, '..', '..', 'out', 'preload', 'index.cjs')
const code = readFileSync(builtPreload, 'utf8')

interface Bridge {
  invoke(method: unknown, input: unknown): Promise<unknown>
  on(event: unknown, listener: unknown): () => void
}

function load(answer?: (channel: string, ...args: unknown[]) => unknown) {
  const preload = runSandboxedPreload(code, answer)
  return { ...preload, cairn: preload.mainWorld.cairn as Bridge }
}

describe('the built preload in a sandboxed renderer', () => {
  it('exposes window.cairn with exactly invoke and on, requiring only electron', () => {
    const { mainWorld, required, cairn } = load()
    expect(Object.keys(mainWorld)).toEqual(['cairn'])
    expect(Object.keys(cairn).sort()).toEqual(['invoke', 'on'])
    expect(required).toEqual(['electron'])
  })

  it('sends calls on the call channel with the method and input as given, and answers with the reply', async () => {
    const envelope = { ok: true, value: [{ id: 3 }] }
    const { cairn, ipcRenderer } = load(() => envelope)
    const input = { query: 'xylo', limit: 5 }
    await expect(cairn.invoke('mail.search', input)).resolves.toBe(envelope)
    expect(ipcRenderer.invokes).toEqual([[IPC_CALL_CHANNEL, 'mail.search', input]])
  })

  it('delivers each event of the contract to its listeners, payload only, until unsubscribed', () => {
    const { cairn, ipcRenderer } = load()
    const names = [...eventTable(contract).keys()]
    expect(names).toContain('backup.progress')
    for (const name of names) {
      const received: unknown[][] = []
      const off = cairn.on(name, (...args: unknown[]) => received.push(args))
      const electronEvent = { sender: ipcRenderer, senderId: 0 }
      ipcRenderer.emit(IPC_EVENT_CHANNEL, electronEvent, 'some.other', { n: 0 })
      ipcRenderer.emit(IPC_EVENT_CHANNEL, electronEvent, name, { n: 1 })
      expect(received, name).toEqual([[{ n: 1 }]])
      off()
      ipcRenderer.emit(IPC_EVENT_CHANNEL, electronEvent, name, { n: 2 })
      expect(received, name).toEqual([[{ n: 1 }]])
      expect(ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0)
    }
  })

  it('refuses unknown and hostile event names without listening to anything', () => {
    const { cairn, ipcRenderer } = load()
    const hostile: unknown[] = [
      'mail.nothing',
      '',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      IPC_EVENT_CHANNEL,
      IPC_CALL_CHANNEL,
      'MAIL.CHANGED',
      ' mail.changed',
      'mail.changed\u0000',
      'mail.*',
      42,
      null,
      undefined,
      Symbol('mail.changed'),
      { toString: () => 'mail.changed' },
      ['mail.changed'],
    ]
    for (const name of hostile) {
      expect(
        () => cairn.on(name, () => undefined),
        String(typeof name === 'symbol' ? 'symbol' : name),
      ).toThrow()
    }
    expect(() => cairn.on('mail.changed', 'not a function')).toThrow()
    expect(ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0)
  })

  it('the sandbox stand-in refuses what Electron refuses (a preload requiring zod fails)', () => {
    expect(() => runSandboxedPreload('require("zod")')).toThrow(/module not found: zod/)
    expect(() => runSandboxedPreload('require("node:fs")')).toThrow(/module not found/)
    expect(() => runSandboxedPreload('process.binding("fs")')).toThrow()
  })
})

describe('the built preload file', () => {
  it('requires nothing but electron (packages are bundled in, not loaded)', () => {
    const requires = [...code.matchAll(/\brequire\s*\(([^)]*)\)/g)].map((m) => m[1])
    expect(requires).toEqual(['"electron"'])
    expect(code).not.toMatch(/\bimport\s*\(/)
    expect(code).not.toMatch(/\bzod\b/)
  })
})
