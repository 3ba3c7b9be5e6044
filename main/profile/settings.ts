import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { writeFileAtomicSync } from '../shared/atomic-file.js'
import { CairnError, errnoCode } from '../shared/errors.js'

/**
 * The profile's settings file. Unknown keys are kept (`loose`), so a file
 * written by a newer Cairn survives being opened and saved by an older one.
 * Later capabilities add their own sections here.
 */
export const settingsSchema = z
  .object({
    version: z.literal(1),
    profileId: z.string().uuid(),
    createdAt: z.string(),
    mail: z
      .object({
        /** Senders whose remote images the user chose to always show. */
        remoteImagesAllowedFrom: z.array(z.string()).default([]),
      })
      .loose()
      .default({ remoteImagesAllowedFrom: [] }),
  })
  .loose()

export type Settings = z.infer<typeof settingsSchema>

export function newSettings(): Settings {
  return {
    version: 1,
    profileId: randomUUID(),
    createdAt: new Date().toISOString(),
    mail: { remoteImagesAllowedFrom: [] },
  }
}

/** Read the settings, or undefined when the profile has none yet. */
export function readSettings(path: string): Settings | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw new CairnError('PROFILE_UNAVAILABLE', `Cannot read the profile settings (${path}).`, {
      cause: error,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new CairnError(
      'SETTINGS_INVALID',
      `The profile settings file (${path}) is not valid JSON. Restore it from a backup or remove it to start with defaults.`,
      { cause: error },
    )
  }
  const parsed = settingsSchema.safeParse(json)
  if (!parsed.success) {
    throw new CairnError(
      'SETTINGS_INVALID',
      `The profile settings file (${path}) is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
    )
  }
  return parsed.data
}

export function writeSettings(path: string, settings: Settings): void {
  writeFileAtomicSync(path, `${JSON.stringify(settings, null, 2)}\n`)
}
