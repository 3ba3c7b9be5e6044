import { EventEmitter } from 'node:events'
import * as timers from 'node:timers'
import * as url from 'node:url'
import { runInContext, createContext } from 'node:vm'

/** The modules Electron's sandboxed preload may require; anything else throws, as in Electron. */
export const SANDBOX_MODULES = ['electron', 'events', 'timers', 'url'] as const

export interface SandboxedPreload {
  /** The page's window as the main world sees it (what contextBridge exposed). */
  mainWorld: Record<string, unknown>
  /** Every module name the script asked `require` for, allowed or not. */
  required: string[]
  /** Stand-in for ipcRenderer: records invokes, emits events to the script's listeners. */
  ipcRenderer: EventEmitter & {
    invokes: unknown[][]
    invoke(channel: string, ...args: unknown[]): Promise<unknown>
  }
}

/**
 * Run a preload script the way Electron runs one in a sandboxed renderer:
 * in a context of its own (no Node globals), wrapped in a function that
 * receives a `require` knowing only electron, events, timers and url, a
 * reduced `process`, and the module/exports pair; `electron` is a stand-in
 * whose contextBridge and ipcRenderer record what the script does.
 */
export function runSandboxedPreload(
  code: string,
  answer: (channel: string, ...args: unknown[]) => unknown = () => undefined,
): SandboxedPreload {
  const mainWorld: Record<string, unknown> = {}
  const required: string[] = []
  const ipcRenderer = Object.assign(new EventEmitter(), {
    invokes: [] as unknown[][],
    invoke(channel: string, ...args: unknown[]) {
      ipcRenderer.invokes.push([channel, ...args])
      return Promise.resolve(answer(channel, ...args))
    },
    send: () => {
      throw new Error('the preload must not use ipcRenderer.send')
    },
    sendSync: () => {
      throw new Error('the preload must not use ipcRenderer.sendSync')
    },
  })
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        if (key in mainWorld) throw new Error(`${key} is already exposed`)
        mainWorld[key] = api
      },
    },
    ipcRenderer,
  }
  const modules: Record<(typeof SANDBOX_MODULES)[number], unknown> = {
    electron,
    events: { EventEmitter, default: EventEmitter },
    timers,
    url,
  }
  const sandboxRequire = (name: string): unknown => {
    required.push(name)
    if (!Object.hasOwn(modules, name))
      throw new Error(
        `module not found: ${name} (a sandboxed preload may require only ${SANDBOX_MODULES.join(', ')})`,
      )
    return modules[name as keyof typeof modules]
  }
  const process = Object.freeze({
    platform: 'linux',
    type: 'renderer',
    sandboxed: true,
    contextIsolated: true,
    argv: [],
    env: {},
    versions: { electron: '39.0.0', chrome: '142.0.0.0' },
  })
  const context = createContext({ console })
  const wrapper = runInContext(
    `(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {${code}\n})`,
    context,
    { filename: 'preload/index.cjs' },
  ) as (...args: unknown[]) => void
  const module = { exports: {} }
  wrapper(
    sandboxRequire,
    process,
    undefined,
    context,
    timers.setImmediate,
    timers.clearImmediate,
    module.exports,
    module,
  )
  return { mainWorld, required, ipcRenderer }
}
