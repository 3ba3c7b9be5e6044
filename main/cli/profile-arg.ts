import { recoverInterruptedRestore } from '../backup/restore/recover.js'
import { resolveProfileDir } from '../profile/location.js'
import { openProfile, type Profile } from '../profile/profile.js'
import type { CliContext } from './command.js'

export const profileOption = { profile: { type: 'string' } } as const

export function profileDirOf(
  values: { profile?: string | undefined },
  context: CliContext,
): string {
  return resolveProfileDir(values.profile ? ['--profile', values.profile] : [], context.env)
}

/** Open the profile for a command, first finishing or undoing a restore a crash interrupted. */
export function openCliProfile(dir: string): Profile {
  recoverInterruptedRestore(dir)
  return openProfile(dir)
}

/** Run `action` with the command's profile open, closing it whatever happens. */
export async function withCliProfile<T>(
  values: { profile?: string | undefined },
  context: CliContext,
  action: (profile: Profile) => Promise<T>,
): Promise<T> {
  const profile = openCliProfile(profileDirOf(values, context))
  try {
    return await action(profile)
  } finally {
    profile.close()
  }
}
