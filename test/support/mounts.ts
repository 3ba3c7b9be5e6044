import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

const mounted: string[] = []

/**
 * A real small or read-only filesystem (tmpfs), for tests of a full disk
 * and of a read-only folder. Mounting needs root, which CI has; as root,
 * file permissions alone cannot make a folder read-only, so a mount is the
 * honest way. Unmounted after the test.
 */
export function mountTmpfs(options: { sizeBytes?: number; readOnly?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-fs-'))
  const flags = [`size=${options.sizeBytes ?? 1024 * 1024}`, 'mode=0755']
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', flags.join(','), 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    throw new Error(
      `This test needs to mount a tmpfs (run as root, as CI does): ${(error as Error).message}`,
    )
  }
  mounted.push(dir)
  if (options.readOnly) remount(dir, 'ro')
  return dir
}

export function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' })
}

afterEach(() => {
  for (const dir of mounted.splice(0)) {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
    rmdirSync(dir)
  }
})
