import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The folder that holds Cairn's per-user data on each OS; the same folder
 * Electron reports as app.getPath('userData') for an app named "Cairn", so
 * the CLI and the app agree on the default profile without Electron.
 */
export function userDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const home = homedir()
  switch (platform) {
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Cairn')
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Cairn')
    default:
      return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Cairn')
  }
}

export function defaultProfileDir(): string {
  return join(userDataDir(), 'profile')
}

/**
 * The profile folder to use: `--profile DIR` on the command line wins, then
 * the CAIRN_PROFILE environment variable, then the per-user default.
 */
export function resolveProfileDir(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  fallback: () => string = defaultProfileDir,
): string {
  const flagIndex = argv.findIndex((arg) => arg === '--profile' || arg.startsWith('--profile='))
  if (flagIndex >= 0) {
    const arg = argv[flagIndex] as string
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[flagIndex + 1]
    if (value) return resolve(value)
  }
  if (env.CAIRN_PROFILE) return resolve(env.CAIRN_PROFILE)
  return fallback()
}
