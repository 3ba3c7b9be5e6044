import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function secretsServiceOn(address: string | undefined): boolean {
  if (!address) return false
  try {
    const reply = execFileSync(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ],
      {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).toString()
    return reply.includes('boolean true')
  } catch {
    return false
  }
}

/**
 * A real OS keychain for tests: GNOME Keyring's Secret Service on a private
 * D-Bus session bus. Uses the session .ci/run started when there is one;
 * otherwise starts its own bus and daemon (stopped by the returned stop()).
 * Missing packages fail the test: they do not skip it.
 */
export async function useRealKeychain(): Promise<{ address: string; stop: () => void }> {
  const existing = process.env.DBUS_SESSION_BUS_ADDRESS
  if (secretsServiceOn(existing)) return { address: existing as string, stop: () => undefined }

  const children: ChildProcess[] = []
  const stop = () => children.forEach((child) => child.kill('SIGTERM'))
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(bus)
  const address = await new Promise<string>((resolve, reject) => {
    bus.once('error', (error) =>
      reject(new Error(`The keychain tests need dbus-daemon (Debian: dbus): ${error.message}`)),
    )
    bus.stdout?.once('data', (data: Buffer) =>
      resolve(data.toString().trim().split('\n')[0] as string),
    )
  })
  // Its own folder, kept for the whole file (the daemon writes its keyring there).
  const home = mkdtempSync(join(tmpdir(), 'cairn-keyring-'))
  const runtime = join(home, 'run')
  mkdirSync(runtime, { mode: 0o700 })
  const daemon = spawn(
    'gnome-keyring-daemon',
    ['--foreground', '--unlock', '--components=secrets'],
    {
      env: {
        ...process.env,
        DBUS_SESSION_BUS_ADDRESS: address,
        HOME: home,
        XDG_RUNTIME_DIR: runtime,
      },
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  )
  children.push(daemon)
  daemon.once('error', (error) => {
    throw new Error(
      `The keychain tests need gnome-keyring (Debian: gnome-keyring): ${error.message}`,
    )
  })
  daemon.stdin?.end('test-keyring-password')
  for (let i = 0; i < 100 && !secretsServiceOn(address); i++)
    await new Promise((r) => setTimeout(r, 100))
  if (!secretsServiceOn(address)) {
    stop()
    throw new Error(
      'gnome-keyring-daemon did not provide org.freedesktop.secrets on the private bus',
    )
  }
  process.env.DBUS_SESSION_BUS_ADDRESS = address
  return {
    address,
    stop: () => {
      stop()
      rmSync(home, { recursive: true, force: true })
      if (existing === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS
      else process.env.DBUS_SESSION_BUS_ADDRESS = existing
    },
  }
}
