import { SIDECAR_MAX_BYTES, sidecarSchema, type Sidecar } from './sidecar.js'

export { SIDECAR_MAX_BYTES }

/** Parse sidecar bytes from a destination: hostile until checked; null when not a valid sidecar. */
export function parseSidecarBytes(bytes: Buffer | null): Sidecar | null {
  if (!bytes || bytes.length > SIDECAR_MAX_BYTES) return null
  try {
    const parsed = sidecarSchema.safeParse(JSON.parse(bytes.toString('utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

export function sidecarBytes(sidecar: Sidecar): Buffer {
  return Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`, 'utf8')
}
