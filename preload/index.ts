/**
 * The preload script: exposes exactly the typed bridge of main/ipc/contract
 * as window.cairn, and nothing of Node or Electron. Event names are checked
 * here so a renderer cannot subscribe to arbitrary channels.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  eventNames,
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  type CairnBridge,
  type EventName,
} from '../main/ipc/contract.js'

const bridge: CairnBridge = {
  invoke: (method, input) => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input),
  on(event, listener) {
    if (!eventNames.includes(event)) throw new Error(`Unknown event ${String(event)}`)
    const handler = (_: IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) (listener as (payload: unknown) => void)(payload)
    }
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler)
    }
  },
}

contextBridge.exposeInMainWorld('cairn', bridge)
