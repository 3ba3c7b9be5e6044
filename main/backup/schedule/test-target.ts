/**
 * "Test connection" for one of the profile's backup destinations, as the
 * app's backup settings offer it: the same checks as `cairn destination
 * test` (list, write and remove a test file …), run against the target the
 * scheduler backs up to, with the destination's secrets from the keychain.
 * Failures come back as the destination's own coded message (it names the
 * destination and what to do), never thrown, so a screen shows them as
 * they are.
 */
import { destinationSecrets } from '../../keychain/destination-secrets.js'
import type { SecretStore } from '../../keychain/keychain.js'
import { CairnError, isCairnError } from '../../shared/errors.js'
import { openSpec } from '../destination/resolve.js'
import type { BackupTarget } from './targets.js'

export type ConnectionTest =
  | { ok: true; checks: string[]; details: Record<string, string> }
  | { ok: false; error: { code: string; message: string } }

export async function testBackupTarget(
  target: BackupTarget | undefined,
  profileId: string,
  keychain: SecretStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConnectionTest> {
  if (!target)
    return {
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: 'There is no such backup destination any more: reopen the backup settings.',
      },
    }
  try {
    const destination = openSpec(target.spec, destinationSecrets(keychain, profileId), { env })
    try {
      const report = await destination.test()
      return { ok: true, checks: report.checks, details: report.details }
    } finally {
      await destination.close()
    }
  } catch (error) {
    const coded = isCairnError(error)
      ? error
      : new CairnError(
          'BACKUP_DESTINATION',
          `Backup destination ${target.location}: the test failed unexpectedly (${error instanceof Error ? error.message : String(error)}).`,
        )
    return { ok: false, error: { code: coded.code, message: coded.message } }
  }
}
