import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveProfileDir, userDataDir } from '../../main/profile/location'

describe('profile location', () => {
  it('uses the same per-user folder as Electron on each OS', () => {
    expect(userDataDir('linux', {})).toBe(join(homedir(), '.config', 'Cairn'))
    expect(userDataDir('linux', { XDG_CONFIG_HOME: '/x' })).toBe(join('/x', 'Cairn'))
    expect(userDataDir('darwin', {})).toBe(
      join(homedir(), 'Library', 'Application Support', 'Cairn'),
    )
    expect(userDataDir('win32', { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' })).toBe(
      join('C:\\Users\\me\\AppData\\Roaming', 'Cairn'),
    )
  })

  it('prefers --profile, then CAIRN_PROFILE, then the default', () => {
    const fallback = () => '/default'
    expect(resolveProfileDir(['--profile', 'p1'], { CAIRN_PROFILE: '/env' }, fallback)).toBe(
      resolve('p1'),
    )
    expect(resolveProfileDir(['--profile=/p2'], {}, fallback)).toBe('/p2')
    expect(resolveProfileDir([], { CAIRN_PROFILE: '/env' }, fallback)).toBe('/env')
    expect(resolveProfileDir(['--other'], {}, fallback)).toBe('/default')
  })
})
