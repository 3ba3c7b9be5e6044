/**
 * The preload script: exposes exactly the typed bridge (main/ipc/bridge.ts)
 * as window.cairn, and nothing of Node or Electron. It runs in Electron's
 * sandbox, where `require` knows only electron, events, timers and url: the
 * build bundles it with nothing but `electron` left external, and the event
 * names come from the contract at build time (scripts/build.mjs), so no
 * package is loaded here.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type CairnBridge } from '../main/ipc/bridge.js'

/** Every event of the contract, put here by the build. */
declare const __CAIRN_EVENT_NAMES__: readonly string[]

const eventNames = new Set<string>(__CAIRN_EVENT_NAMES__)

const bridge: CairnBridge = {
  invoke: (method, input) => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input),
  on(event, listener) {
    // A renderer can only listen to the contract's events, never name a channel.
    if (typeof event !== 'string' || !eventNames.has(event))
      throw new Error(`Cairn has no event ${String(event).slice(0, 100)}`)
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.')
    // The listener gets the payload only, never Electron's event (it would expose ipcRenderer).
    const handler = (_event: unknown, name: unknown, payload: unknown) => {
      if (name === event) (listener as (payload: unknown) => void)(payload)
    }
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler)
    }
  },
}

contextBridge.exposeInMainWorld('cairn', bridge)
