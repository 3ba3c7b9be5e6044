import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { BackupCandidate, PlanView } from '../../../main/ipc/contract'
import {
  initialKeyMode,
  initialWizard,
  keySource,
  planNeedsYes,
  planSummaryText,
  replacementText,
  restoreReadiness,
  searchReport,
  wizardReducer,
  type Found,
  type WizardState,
} from '../../../renderer/backup/restore-wizard'

const candidate = (path: string, change: Partial<BackupCandidate> = {}): BackupCandidate => ({
  path,
  folder: '/b',
  name: path.slice(3),
  createdAt: '2026-03-11T02:00:00Z',
  size: 1000,
  profileId: 'p',
  keyFingerprint: 'f',
  vaultId: null,
  complete: true,
  keyInKeychain: false,
  ...change,
})

const found = (backups: BackupCandidate[], messages = 0): Found => ({
  searched: [
    {
      folder: '/b',
      why: 'default',
      found: backups.length,
      problem: backups.length ? null : 'No Cairn backups in this folder.',
    },
  ],
  backups,
  suggested: backups[0]?.path ?? null,
  defaultVaultUrl: 'https://vault.example',
  live: { messages, lastBackupAt: null },
})

const plan = (change: Partial<PlanView> = {}): PlanView => ({
  summary: {
    backup: {
      file: '/b/x',
      createdAt: '2026-03-11T02:00:00Z',
      profileId: 'p',
      keyFingerprint: 'f',
      appVersion: '0',
      schemaVersion: 7,
      files: 3,
      bytes: 10,
      messages: 31,
      accountSecrets: 0,
    },
    live: {
      profileDir: '/p',
      exists: true,
      profileId: 'q',
      messages: 0,
      empty: true,
      newestBackupAt: null,
    },
  },
  confirmations: [],
  replacesSomething: false,
  keyFingerprint: 'f',
  ...change,
})

const run = (actions: Parameters<typeof wizardReducer>[1][], from: WizardState = initialWizard) =>
  actions.reduce(wizardReducer, from)

describe('the restore wizard', () => {
  it('suggests the backup it found and asks for the key in the way that backup needs', () => {
    expect(initialKeyMode(candidate('/b/1', { keyInKeychain: true }))).toBe('keychain')
    expect(initialKeyMode(candidate('/b/1', { vaultId: 'ab'.repeat(16) }))).toBe('vault')
    expect(initialKeyMode(candidate('/b/1'))).toBe('digits')
    const state = run([{ type: 'found', found: found([candidate('/b/1'), candidate('/b/2')]) }])
    expect(state.step).toBe('choose')
    expect(state.selected).toBe('/b/1')
    expect(state.vaultUrl).toBe('https://vault.example')
  })

  it('is ready to restore only with a complete, well-formed key, and says why not', () => {
    let state = run([{ type: 'found', found: found([candidate('/b/1')]) }])
    expect(restoreReadiness(state)).toEqual({
      ready: false,
      reason: 'Type the key (0 of 64 digits).',
    })
    state = wizardReducer(state, { type: 'key-text', text: 'x' })
    expect(restoreReadiness(state).reason).toMatch(/"x" .* not a hex digit/)
    const hex = randomBytes(32).toString('hex')
    state = wizardReducer(state, { type: 'key-text', text: hex })
    expect(state.keyText).toBe(hex.match(/.{4}/g)?.join(' '))
    expect(restoreReadiness(state)).toEqual({ ready: true, reason: null })
    expect(keySource(state)).toEqual({ source: 'digits', text: state.keyText })
  })

  it('asks the vault with the record the backup names', () => {
    const id = 'ab'.repeat(16)
    let state = run([{ type: 'found', found: found([candidate('/b/1', { vaultId: id })]) }])
    expect(restoreReadiness(state).reason).toBe('Type your vault password.')
    state = wizardReducer(state, { type: 'vault-password', password: 'pw' })
    expect(keySource(state)).toEqual({
      source: 'vault',
      url: 'https://vault.example',
      password: 'pw',
      recordId: id,
    })
    state = wizardReducer(state, {
      type: 'restored',
      done: { createdAt: '', messages: 1, accountSecretsRestored: 0, warnings: [] },
    })
    expect(state.vaultPassword).toBe('')
  })

  it('goes straight on when nothing is replaced and nothing needs a yes; else it asks', () => {
    expect(planNeedsYes(plan())).toBe(false)
    expect(planNeedsYes(plan({ replacesSomething: true }))).toBe(true)
    expect(planNeedsYes(plan({ confirmations: [{ kind: 'other-profile', message: 'm' }] }))).toBe(
      true,
    )
    const state = run([
      { type: 'found', found: found([candidate('/b/1')]) },
      { type: 'planning' },
      { type: 'planned', plan: plan({ replacesSomething: true }) },
    ])
    expect(state.step).toBe('confirm')
  })

  it('says what would be replaced, before and after the key', () => {
    const c = candidate('/b/1')
    expect(replacementText(found([c]), c)).toMatch(/no mail in Cairn yet.*nothing is replaced/)
    expect(replacementText(found([c], 1234), c)).toMatch(
      /Your mailbox here \(1,234 messages, never backed up\) is replaced/,
    )
    expect(planSummaryText(plan())).toMatch(/holds 31 messages; nothing here is replaced/)
    const replacing = plan({ replacesSomething: true })
    replacing.summary.live = { ...replacing.summary.live, empty: false, messages: 5 }
    expect(planSummaryText(replacing)).toMatch(/It replaces your mailbox here: 5 messages/)
  })

  it('reports where it looked when it found nothing, and a failure brings the choice back with the message', () => {
    expect(searchReport(found([]))).toEqual([
      '/b (the default folder): No Cairn backups in this folder.',
    ])
    const state = run([
      { type: 'found', found: found([candidate('/b/1')]) },
      { type: 'planning' },
      { type: 'failed', message: 'Wrong key' },
    ])
    expect(state.step).toBe('choose')
    expect(state.error).toBe('Wrong key')
    expect(state.keyMode).toBe('digits')
  })

  it('offers the 64 digits when the vault destroyed the key or the keychain lacks it', () => {
    const vaulted = run([
      { type: 'found', found: found([candidate('/b/1', { vaultId: 'ab'.repeat(16) })]) },
    ])
    expect(vaulted.keyMode).toBe('vault')
    expect(
      wizardReducer(vaulted, { type: 'failed', message: 'wrong', code: 'VAULT_WRONG_PASSWORD' })
        .keyMode,
    ).toBe('vault')
    expect(
      wizardReducer(vaulted, { type: 'failed', message: 'gone', code: 'VAULT_KEY_DESTROYED' })
        .keyMode,
    ).toBe('digits')
    const keychain = run([
      { type: 'found', found: found([candidate('/b/1', { keyInKeychain: true })]) },
    ])
    expect(
      wizardReducer(keychain, { type: 'failed', message: 'none', code: 'KEY_MISSING' }).keyMode,
    ).toBe('digits')
  })
})
