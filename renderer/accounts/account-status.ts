import type { AccountState } from '../../main/mail/sync/account-state'

export type StatusTone = 'ok' | 'busy' | 'warning' | 'error'

/** What the user can do about an account's state. */
export type StatusAction = 'password' | 'trust' | 'retry' | null

export interface StatusLine {
  label: string
  tone: StatusTone
  /** The sentence from the sync engine, when something is wrong. */
  detail: string | null
  action: StatusAction
}

/** How the folder tree shows an account's sync state (`now` for "retrying in …" and "synced … ago"). */
export function describeStatus(state: AccountState, now: number): StatusLine {
  switch (state.status) {
    case 'syncing':
      return { label: 'Syncing…', tone: 'busy', detail: null, action: null }
    case 'idle':
      // A fresh sync engine starts idle before its first pass: not "up to date" yet.
      if (state.lastSyncAt === null)
        return { label: 'Waiting to sync', tone: 'busy', detail: null, action: null }
      return {
        label: `Up to date · ${ago(state.lastSyncAt, now)}`,
        tone: 'ok',
        detail: null,
        action: null,
      }
    case 'offline':
      return {
        label:
          state.retryAt === null ? 'Offline' : `Offline · retrying ${inTime(state.retryAt, now)}`,
        tone: 'warning',
        detail: state.message,
        action: 'retry',
      }
    case 'auth_failed':
      return {
        label: 'Sign-in refused',
        tone: 'error',
        detail: state.message ?? 'The server refused the password. Enter it again.',
        action: 'password',
      }
    case 'cert_untrusted':
      return {
        label: 'Untrusted certificate',
        tone: 'error',
        detail: state.message,
        action: state.certificate ? 'trust' : 'retry',
      }
    case 'cert_changed':
      return {
        label: 'Certificate changed',
        tone: 'error',
        detail: state.message,
        action: state.certificate ? 'trust' : 'retry',
      }
    case 'error':
      return {
        label:
          state.retryAt === null
            ? 'Sync failed'
            : `Sync failed · retrying ${inTime(state.retryAt, now)}`,
        tone: 'error',
        detail: state.message,
        action: 'retry',
      }
  }
}

function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 60) return 'just now'
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.round(m / 60)
  return h < 24 ? `${h} h ago` : `${Math.round(h / 24)} d ago`
}

function inTime(at: number, now: number): string {
  const s = Math.max(0, Math.round((at - now) / 1000))
  if (s < 5) return 'now'
  if (s < 60) return `in ${s} s`
  return `in ${Math.round(s / 60)} min`
}

/** The newest state of each account: the list's answer, overtaken by any state event received since. */
export function mergeStates<T extends { id: number; state: AccountState }>(
  accounts: T[],
  latest: ReadonlyMap<number, AccountState>,
): T[] {
  return accounts.map((a) => {
    const newer = latest.get(a.id)
    return newer ? { ...a, state: newer } : a
  })
}
