/**
 * `npm run dev:web`: the browser build. Serves the renderer on the loopback
 * interface with the same services as the desktop app, and prints the URL to
 * open. Used for UI tests in a real browser, where Electron cannot run.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { resolveProfileDir } from '../profile/location.js'
import { openServices } from '../services.js'
import { describeError } from '../shared/errors.js'
import { ProfileSession } from './profile-session.js'
import { startWebHost } from './web-server.js'

const { values } = parseArgs({
  options: { profile: { type: 'string' }, port: { type: 'string' } },
  allowPositionals: false,
})

try {
  const profileDir = resolveProfileDir(values.profile ? ['--profile', values.profile] : [])
  const session = new ProfileSession(profileDir, (dir) => openServices(dir))
  const host = await startWebHost({
    session,
    rendererDir: join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer'),
    port: values.port ? Number(values.port) : 0,
  })
  console.log(`Cairn (browser build) for profile ${profileDir}`)
  console.log(`Open ${host.url}`)
  const stop = () => {
    void host
      .close()
      .then(() => session.close())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (error) {
  console.error(`cairn: ${describeError(error)}`)
  process.exit(1)
}
