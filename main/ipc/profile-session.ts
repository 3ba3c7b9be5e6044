import type { CairnServices } from '../services.js'
import { Emitter } from '../shared/emitter.js'
import { CairnError } from '../shared/errors.js'

export type SessionEvents = {
  /** The services are about to close (a restore swaps the profile folder). */
  closing: { reason: string }
  /** The services are open again, on the profile now in the folder. */
  reopened: { reason: string }
}

/**
 * The open profile of a host (the desktop app or the browser build's host),
 * which can be closed and opened again without restarting the host: a
 * restore closes the services (database, scheduler, sync, the profile
 * lock), swaps the profile folder, and opens the services on what is now
 * there. The transports keep their connections; the service context
 * follows `current`, and the router subscribes the renderer's events again
 * on 'reopened'.
 */
export class ProfileSession {
  readonly events = new Emitter<SessionEvents>()
  private services: CairnServices | null
  private closing: Promise<unknown> | null = null

  constructor(
    readonly profileDir: string,
    private readonly open: (profileDir: string) => CairnServices,
    /** Services opened already by the caller (otherwise they are opened here). */
    opened?: CairnServices,
  ) {
    this.services = opened ?? open(profileDir)
  }

  /** The open services; refused with a clear message while a restore has them closed. */
  get current(): CairnServices {
    if (!this.services)
      throw new CairnError(
        'PROFILE_UNAVAILABLE',
        'Cairn is replacing your profile with a backup; try again in a moment.',
      )
    return this.services
  }

  get isOpen(): boolean {
    return this.services !== null
  }

  /**
   * Close the services, run `work` (which may replace the profile folder),
   * and open the services again whatever happened: on the restored profile,
   * or on the previous one that a failed restore put back.
   */
  async whileClosed<T>(reason: string, work: () => Promise<T>): Promise<T> {
    if (this.closing)
      throw new CairnError('RESTORE_BUSY', 'The profile is being replaced already; wait for it.')
    const services = this.current
    let release!: () => void
    this.closing = new Promise<void>((resolve) => (release = resolve))
    try {
      this.events.emit('closing', { reason })
      this.services = null
      await services.close()
      try {
        return await work()
      } finally {
        this.services = this.open(this.profileDir)
        this.events.emit('reopened', { reason })
      }
    } finally {
      this.closing = null
      release()
    }
  }

  async close(): Promise<void> {
    const services = this.services
    this.services = null
    await services?.close()
  }
}
