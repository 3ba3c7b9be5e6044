import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'

export interface SoftHsm {
  conf: string
  module: string
  tokenLabel: string
  pin: string
  /** Environment for processes that use the token. */
  env: { SOFTHSM2_CONF: string }
  remove(): void
}

/**
 * A fresh SoftHSM2 token in its own temporary folder (what .ci/run installs:
 * Debian's softhsm2). Also points this process at it (SOFTHSM2_CONF).
 */
export function initSoftHsm(tokenLabel = 'cairn-vault'): SoftHsm {
  if (!existsSync(SOFTHSM_MODULE))
    throw new Error(`The vault tests need SoftHSM2 (Debian: softhsm2) at ${SOFTHSM_MODULE}`)
  const dir = mkdtempSync(join(tmpdir(), 'cairn-softhsm-'))
  mkdirSync(join(dir, 'tokens'))
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(
    conf,
    `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  const env = { SOFTHSM2_CONF: conf }
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--so-pin', '5678', '--pin', '1234'],
    {
      env: { ...process.env, ...env },
      stdio: 'pipe',
    },
  )
  process.env.SOFTHSM2_CONF = conf
  return {
    conf,
    module: SOFTHSM_MODULE,
    tokenLabel,
    pin: '1234',
    env,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
