import type { CairnError } from '../../../shared/errors.js'

/** How a call still waiting fails when its session ends first: `action` is what it was doing. */
export type Why = (action: string) => CairnError

/**
 * A server with nothing left to say is idle; one that says nothing while
 * asked is stuck. SSH keepalives do not tell: sshd answers them while its
 * SFTP side hangs on a stuck disk, and a link that drops packets without a
 * reset takes ssh2 a minute of missed keepalives. A session has no answer
 * for `DEFAULT` (60 s) while a call waits: it is dropped. 60 s is far past
 * any answer a working server gives (a WRITE or RENAME takes milliseconds;
 * even an fsync of what the page cache holds is seconds), and it counts
 * from the last answer, not from the start: a 100 GB upload answered
 * all along is never cut.
 */
export const SFTP_IDLE_TIMEOUT_MS = 60_000

/** The calls waiting for an answer on one SFTP session, and the deadline for the next answer. */
export class AnswerWatch {
  private readonly waiting = new Set<(why: Why) => void>()
  private lastAnswer = Date.now()
  private timer: ReturnType<typeof setInterval> | null = null
  private ended = false

  constructor(
    private readonly idleMs: number,
    /** Nothing answered for `idleMs` while a call waits. */
    private readonly onSilent: () => void,
  ) {}

  /**
   * A call is waiting: `fail` if the session ends first. Returns what to
   * call with the answer, or null when the session has already ended.
   */
  begin(fail: (why: Why) => void): (() => void) | null {
    if (this.ended) return null
    if (this.waiting.size === 0) {
      // The silence counts from when something was asked, not from the last answer long ago.
      this.lastAnswer = Date.now()
      this.timer ??= setInterval(() => this.check(), Math.min(1000, this.idleMs / 4))
      this.timer.unref()
    }
    this.waiting.add(fail)
    return () => {
      this.waiting.delete(fail)
      this.lastAnswer = Date.now()
      if (this.waiting.size === 0) this.stopTimer()
    }
  }

  /** The session ended: every call still waiting fails with `why`. */
  end(why: Why): void {
    this.ended = true
    this.stopTimer()
    const waiting = [...this.waiting]
    this.waiting.clear()
    for (const fail of waiting) fail(why)
  }

  private check(): void {
    if (this.waiting.size > 0 && Date.now() - this.lastAnswer >= this.idleMs) this.onSilent()
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}
