import { formatBytes } from '../../common/format'
import type {
  BackupCandidate,
  FoundBackups,
  LiveProfileView,
  PlanView,
  RestoreDone,
} from '../../main/ipc/contract'
import { keyEntryView } from './key-entry'
import { timeView } from './status-view'

export type KeyMode = 'keychain' | 'digits' | 'vault'

export type Found = FoundBackups & { live: LiveProfileView }

export interface WizardState {
  step: 'finding' | 'choose' | 'planning' | 'confirm' | 'restoring' | 'done'
  found: Found | null
  selected: string | null
  keyMode: KeyMode
  keyText: string
  vaultUrl: string
  vaultPassword: string
  plan: PlanView | null
  done: RestoreDone | null
  error: string | null
}

export type WizardAction =
  | { type: 'searching' }
  | { type: 'found'; found: Found; preferred?: string | null }
  | { type: 'select'; path: string }
  | { type: 'key-mode'; mode: KeyMode }
  | { type: 'key-text'; text: string }
  | { type: 'vault-url'; url: string }
  | { type: 'vault-password'; password: string }
  | { type: 'planning' }
  | { type: 'planned'; plan: PlanView }
  | { type: 'restoring' }
  | { type: 'restored'; done: RestoreDone }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'back' }

export const initialWizard: WizardState = {
  step: 'finding',
  found: null,
  selected: null,
  keyMode: 'digits',
  keyText: '',
  vaultUrl: '',
  vaultPassword: '',
  plan: null,
  done: null,
  error: null,
}

/** How the key is asked for first: not at all when the keychain has it; the vault when the backup names a record. */
export function initialKeyMode(candidate: BackupCandidate | undefined): KeyMode {
  if (!candidate) return 'digits'
  if (candidate.keyInKeychain) return 'keychain'
  return candidate.vaultId ? 'vault' : 'digits'
}

export function selectedCandidate(state: WizardState): BackupCandidate | undefined {
  return state.found?.backups.find((b) => b.path === state.selected)
}

export function wizardReducer(state: WizardState, action: WizardAction): WizardState {
  switch (action.type) {
    case 'searching':
      return { ...state, step: 'finding', error: null }
    case 'found': {
      const selected = action.preferred ?? action.found.suggested
      const candidate = action.found.backups.find((b) => b.path === selected)
      return {
        ...state,
        step: 'choose',
        found: action.found,
        selected: selected ?? null,
        keyMode: initialKeyMode(candidate),
        vaultUrl: state.vaultUrl || action.found.defaultVaultUrl || '',
        error: null,
      }
    }
    case 'select': {
      const candidate = state.found?.backups.find((b) => b.path === action.path)
      return { ...state, selected: action.path, keyMode: initialKeyMode(candidate), error: null }
    }
    case 'key-mode':
      return { ...state, keyMode: action.mode, error: null }
    case 'key-text':
      return { ...state, keyText: keyEntryView(action.text).display, error: null }
    case 'vault-url':
      return { ...state, vaultUrl: action.url, error: null }
    case 'vault-password':
      return { ...state, vaultPassword: action.password, error: null }
    case 'planning':
      return { ...state, step: 'planning', error: null, plan: null }
    case 'planned':
      return {
        ...state,
        step: planNeedsYes(action.plan) ? 'confirm' : 'planning',
        plan: action.plan,
      }
    case 'restoring':
      return { ...state, step: 'restoring', error: null }
    case 'restored':
      // The password is dropped as soon as it has served.
      return { ...state, step: 'done', done: action.done, vaultPassword: '', keyText: '' }
    case 'failed':
      return {
        ...state,
        step: 'choose',
        error: action.message,
        plan: null,
        keyMode: nextKeyMode(state.keyMode, action.code),
      }
    case 'back':
      return { ...state, step: 'choose', plan: null, error: null }
  }
}

/**
 * After a failure, the way to open the backup that is left: a destroyed
 * vault record, or a keychain without the key, leaves the 64 digits.
 */
export function nextKeyMode(mode: KeyMode, code: string | undefined): KeyMode {
  if (code === 'VAULT_KEY_DESTROYED') return 'digits'
  if (code === 'KEY_MISSING' && mode === 'keychain') return 'digits'
  return mode
}

/** The plan needs the user's yes: something is asked (older backup, another profile…) or mail would be replaced. */
export function planNeedsYes(plan: PlanView): boolean {
  return plan.confirmations.length > 0 || plan.replacesSomething
}

/** Whether "Restore" can be pressed, and if not, why (for its description). */
export function restoreReadiness(state: WizardState): { ready: boolean; reason: string | null } {
  const candidate = selectedCandidate(state)
  if (!candidate) return { ready: false, reason: 'Choose a backup first.' }
  if (state.keyMode === 'digits') {
    const key = keyEntryView(state.keyText, false)
    if (!key.ok) return { ready: false, reason: key.problem ?? `Type the key (${key.progress}).` }
  }
  if (state.keyMode === 'vault') {
    if (!state.vaultUrl.trim()) return { ready: false, reason: 'Give the vault address.' }
    if (!state.vaultPassword) return { ready: false, reason: 'Type your vault password.' }
  }
  return { ready: true, reason: null }
}

/** The key to send for the chosen mode. */
export function keySource(
  state: WizardState,
):
  | { source: 'keychain' }
  | { source: 'digits'; text: string }
  | { source: 'vault'; url: string; password: string; recordId?: string } {
  if (state.keyMode === 'keychain') return { source: 'keychain' }
  if (state.keyMode === 'digits') return { source: 'digits', text: state.keyText }
  const recordId = selectedCandidate(state)?.vaultId ?? undefined
  return {
    source: 'vault',
    url: state.vaultUrl.trim(),
    password: state.vaultPassword,
    ...(recordId ? { recordId } : {}),
  }
}

/** A backup in the list, in words. */
export function candidateLabel(candidate: BackupCandidate, now: Date = new Date()): string {
  const when = timeView(candidate.createdAt, now)
  return [
    when ? `${when.absolute} (${when.relative})` : candidate.name,
    formatBytes(candidate.size),
    candidate.complete ? null : 'incomplete',
  ]
    .filter(Boolean)
    .join(' · ')
}

/** What a restore would replace, said before any key is typed. */
export function replacementText(
  found: Found,
  candidate: BackupCandidate | undefined,
  now = new Date(),
): string {
  const backup = candidate
    ? `the backup of ${timeView(candidate.createdAt, now)?.absolute ?? candidate.name}`
    : 'the backup'
  if (found.live.messages === 0)
    return `This computer has no mail in Cairn yet: ${backup} becomes your mailbox; nothing is replaced.`
  const last = timeView(found.live.lastBackupAt, now)
  return (
    `Your mailbox here (${found.live.messages.toLocaleString()} message${found.live.messages === 1 ? '' : 's'}` +
    `${last ? `, last backed up ${last.relative}` : ', never backed up'}) is replaced with ${backup}.`
  )
}

/** The plan's summary: what is replaced with what. */
export function planSummaryText(plan: PlanView, now = new Date()): string {
  const { backup, live } = plan.summary
  const when = timeView(backup.createdAt, now)?.absolute ?? backup.createdAt
  const into = `The backup of ${when} holds ${backup.messages.toLocaleString()} message${backup.messages === 1 ? '' : 's'}`
  if (!live.exists || live.empty) return `${into}; nothing here is replaced.`
  const last = timeView(live.newestBackupAt, now)
  return (
    `${into}. It replaces your mailbox here: ${live.messages === null ? 'an unreadable number of' : live.messages.toLocaleString()} messages` +
    `${last ? `, last backed up ${last.relative} (${last.absolute})` : ''}.`
  )
}

/** Where the wizard looked and what it found there, for when the list is empty or short. */
export function searchReport(found: Found): string[] {
  const why = {
    default: 'the default folder',
    configured: 'your backup folder',
    recent: 'a folder used before',
    chosen: 'the place you chose',
  }
  return found.searched.map(
    (s) =>
      `${s.folder} (${why[s.why]}): ${s.problem ?? `${s.found} backup${s.found === 1 ? '' : 's'}`}`,
  )
}
