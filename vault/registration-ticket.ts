import { SealError, type Sealer } from './hsm/sealer.js'

/**
 * Registration tickets tie a registration's finish to its start: sealed in
 * the HSM (so only the vault can make one, and any node can read it), bound
 * to the record id they name, and short-lived. A finish without a valid
 * ticket is refused the same way whatever its id, so registration cannot be
 * used to find out which ids exist.
 */
export function registrationTickets(sealer: Sealer, ttlMs = 5 * 60_000) {
  const context = (id: string) => `register-ticket:${id}`
  return {
    /** A ticket for registering `id`: a new record, or a password change (`change`). */
    issue(id: string, change: boolean, now = Date.now()): string {
      return sealer
        .seal(Buffer.from(JSON.stringify({ expiresAt: now + ttlMs, change })), context(id))
        .toString('base64url')
    },
    /** What the ticket allows for `id`, or null if it is not this vault's, not for `id`, or expired. */
    read(id: string, ticket: string, now = Date.now()): { change: boolean } | null {
      try {
        const { expiresAt, change } = JSON.parse(
          sealer.unseal(Buffer.from(ticket, 'base64url'), context(id)).toString(),
        ) as { expiresAt: number; change: boolean }
        return expiresAt >= now ? { change: change === true } : null
      } catch (error) {
        if (error instanceof SealError || error instanceof SyntaxError) return null
        throw error
      }
    },
  }
}
