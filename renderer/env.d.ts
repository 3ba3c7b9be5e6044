import type { CairnBridge } from '../main/ipc/bridge'

declare global {
  interface Window {
    /** Set by the preload script in the app, or by the WebSocket bridge in the browser build. */
    cairn?: CairnBridge
  }
}
