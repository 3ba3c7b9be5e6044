import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  builtForOf,
  planSwitch,
  rebuildCommand,
  type ModuleState,
  type Target,
} from '../../scripts/native-modules.mjs'

const root = '/src/cairn'
const where = {
  root,
  platform: 'linux' as const,
  node: '/opt/node22/bin/node',
  env: { PATH: '/usr/bin', npm_config_nodedir: '/opt/node22', HOME: '/home/me' },
}
const node: Target = { runtime: 'node', version: '22.23.3', abi: 127 }
const electron: Target = { runtime: 'electron', version: '39.8.10', abi: 140 }

function sqlite(builtFor: ModuleState['builtFor'], cached: number[] = []): ModuleState {
  return {
    name: 'better-sqlite3',
    version: '12.11.1',
    binary: join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    builtFor,
    cached,
  }
}

describe('which ABI a native binary is built for', () => {
  it('reads the registration symbol it exports', () => {
    expect(builtForOf(Buffer.from('\0\0_node_register_module_v140\0'))).toBe(140)
    expect(builtForOf(Buffer.from('\0napi_register_module_v1\0'))).toBe('napi')
    expect(builtForOf(Buffer.from('not a module'))).toBeNull()
  })
})

describe('switching native modules between Node and Electron', () => {
  it('does nothing when they are built for the runtime about to start', () => {
    expect(planSwitch(node, [sqlite(127)], where)).toEqual([])
    expect(planSwitch(electron, [sqlite(140, [127])], where)).toEqual([])
    expect(planSwitch(electron, [sqlite('napi')], where)).toEqual([])
  })

  it('saves the binary it replaces and puts back one built earlier, without rebuilding', () => {
    expect(planSwitch(node, [sqlite(140, [127])], where)).toEqual([
      { kind: 'save', module: 'better-sqlite3', abi: 140 },
      { kind: 'restore', module: 'better-sqlite3', abi: 127 },
    ])
    expect(planSwitch(electron, [sqlite(127, [127, 140])], where)).toEqual([
      { kind: 'restore', module: 'better-sqlite3', abi: 140 },
    ])
  })

  it('rebuilds for Electron with @electron/rebuild, against Electron’s headers', () => {
    const steps = planSwitch(electron, [sqlite(127)], where)
    expect(steps).toEqual([
      { kind: 'save', module: 'better-sqlite3', abi: 127 },
      {
        kind: 'rebuild',
        modules: ['better-sqlite3'],
        command: {
          command: '/opt/node22/bin/node',
          args: [
            join(root, 'node_modules/@electron/rebuild/lib/cli.js'),
            '--version',
            '39.8.10',
            '--only',
            'better-sqlite3',
            '--force',
            '--module-dir',
            root,
          ],
          // Node's headers (npm_config_nodedir) must not stand in for Electron's.
          env: { PATH: '/usr/bin', HOME: '/home/me' },
          shell: false,
        },
      },
    ])
  })

  it('rebuilds for Node with npm rebuild, when no binary for Node was kept', () => {
    expect(planSwitch(node, [sqlite(null)], where)).toEqual([
      {
        kind: 'rebuild',
        modules: ['better-sqlite3'],
        command: {
          command: 'npm',
          args: ['rebuild', 'better-sqlite3'],
          env: where.env,
          shell: false,
        },
      },
    ])
    expect(rebuildCommand(node, ['better-sqlite3'], { ...where, platform: 'win32' }).shell).toBe(
      true,
    )
  })
})
