import { describe, expect, it } from 'vitest'
import type { AccountState } from '../../main/mail/sync/account-state'
import { describeStatus, mergeStates } from '../../renderer/accounts/account-status'
import {
  describeCertificate,
  emptyForm,
  formatFingerprint,
  guessedSettings,
  toAddInput,
  validate,
  withDiscovered,
  withSecurity,
  type CertificateQuestion,
  type SetupForm,
} from '../../renderer/accounts/setup-form'

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0)
const state = (over: Partial<AccountState>): AccountState => ({
  accountId: 1,
  status: 'idle',
  message: null,
  lastSyncAt: null,
  retryAt: null,
  ...over,
})

function filledForm(over: Partial<SetupForm> = {}): SetupForm {
  return {
    ...guessedSettings({ ...emptyForm(), email: 'ada@example.org', password: 'pw' }),
    ...over,
  }
}

describe('the setup form', () => {
  it('looks up with the address alone, but adds only with a password', () => {
    const form = { ...emptyForm(), email: 'ada@example.org' }
    expect(validate(form, { manual: false })).toEqual({})
    expect(validate(guessedSettings(form), { manual: true })).toEqual({
      password: 'Enter the password of this address.',
    })
    expect(validate({ ...form, email: 'ada' }, { manual: false }).email).toMatch(/full email/)
  })

  it("starts manual settings from the domain's imap./smtp. names over TLS, the address as user name", () => {
    const form = filledForm()
    expect(form.imap).toEqual({
      host: 'imap.example.org',
      port: '993',
      security: 'tls',
      username: 'ada@example.org',
    })
    expect(form.smtp).toMatchObject({ host: 'smtp.example.org', port: '465', security: 'tls' })
  })

  it('takes what the lookup found, ports as text for editing', () => {
    const form = withDiscovered(filledForm(), {
      imap: { host: 'mail.example.org', port: 143, security: 'starttls', username: 'ada' },
      smtp: { host: 'mail.example.org', port: 587, security: 'starttls', username: 'ada' },
      source: 'autoconfig.example.org',
      oauth: null,
      unconfirmed: null,
    })
    expect(form.imap).toEqual({
      host: 'mail.example.org',
      port: '143',
      security: 'starttls',
      username: 'ada',
    })
    expect(form.smtp.port).toBe('587')
  })

  it('moves a default port with the security choice, but keeps a port the user typed', () => {
    const imap = filledForm().imap
    expect(withSecurity(imap, 'imap', 'starttls').port).toBe('143')
    expect(withSecurity({ ...imap, port: '10993' }, 'imap', 'starttls').port).toBe('10993')
    expect(withSecurity(filledForm().smtp, 'smtp', 'starttls').port).toBe('587')
  })

  it('refuses a bad host, port or empty user name, per server', () => {
    const errors = validate(
      filledForm({
        imap: { host: 'imap example', port: '993', security: 'tls', username: 'a' },
        smtp: { host: 'smtp.example.org', port: '70000', security: 'tls', username: 'a' },
      }),
      { manual: true },
    )
    expect(errors.imap).toMatch(/server name/)
    expect(errors.smtp).toMatch(/1 to 65535/)
    expect(
      validate(filledForm({ imap: { ...filledForm().imap, username: ' ' } }), { manual: true })
        .imap,
    ).toMatch(/user name/)
  })

  it('asks for explicit consent before sending a password unencrypted, except to this computer', () => {
    const plain = (host: string) =>
      filledForm({ imap: { host, port: '143', security: 'plain', username: 'ada' } })
    expect(validate(plain('mail.example.org'), { manual: true }).allowPlaintext).toMatch(
      /readable by anyone/,
    )
    expect(
      validate({ ...plain('mail.example.org'), allowPlaintext: true }, { manual: true }),
    ).toEqual({})
    expect(validate(plain('127.0.0.1'), { manual: true })).toEqual({})
    expect(validate(plain('localhost'), { manual: true })).toEqual({})
  })

  it('builds the add call: trimmed values, numeric ports, the accepted fingerprints', () => {
    const input = toAddInput(filledForm({ email: ' ada@example.org ', name: '  ' }), {
      imap: 'AA:BB',
    })
    expect(input).toEqual({
      email: 'ada@example.org',
      name: undefined,
      password: 'pw',
      imap: { host: 'imap.example.org', port: 993, security: 'tls', username: 'ada@example.org' },
      smtp: { host: 'smtp.example.org', port: 465, security: 'tls', username: 'ada@example.org' },
      allowPlaintext: undefined,
      trust: { imap: 'AA:BB' },
    })
  })
})

describe('the certificate question', () => {
  const question: CertificateQuestion = {
    kind: 'certificate',
    which: 'smtp',
    server: { host: 'mail.example.org', port: 587 },
    changed: false,
    reason: 'self-signed',
    message: '…',
    certificate: null,
  }

  it('shows the fingerprint in pairs of upper-case hex digits, whatever form it came in', () => {
    expect(formatFingerprint('ab:cd:0f')).toBe('AB:CD:0F')
    expect(formatFingerprint('abcd0f12')).toBe('AB:CD:0F:12')
  })

  it('names the server and which one it is, and warns harder when a trusted certificate changed', () => {
    const untrusted = describeCertificate(question)
    expect(untrusted.title).toBe('Cairn cannot vouch for mail.example.org:587')
    expect(untrusted.detail).toMatch(/outgoing mail \(SMTP\).*self-signed.*fingerprint/)
    const changed = describeCertificate({ ...question, which: 'imap', changed: true })
    expect(changed.title).toBe('The certificate of mail.example.org:587 has changed')
    expect(changed.detail).toMatch(/incoming mail \(IMAP\).*intercepting/)
  })
})

describe("an account's sync state in the folder tree", () => {
  it('an account that never finished a sync is not called up to date', () => {
    expect(describeStatus(state({ lastSyncAt: null }), NOW)).toMatchObject({
      label: 'Waiting to sync',
      tone: 'busy',
    })
  })

  it('up to date, with how long ago', () => {
    expect(describeStatus(state({ lastSyncAt: NOW - 5_000 }), NOW)).toEqual({
      label: 'Up to date · just now',
      tone: 'ok',
      detail: null,
      action: null,
    })
    expect(describeStatus(state({ lastSyncAt: NOW - 3 * 60_000 }), NOW).label).toBe(
      'Up to date · 3 min ago',
    )
  })

  it('offline: when it retries, and a way to try now', () => {
    const line = describeStatus(
      state({ status: 'offline', message: 'Cannot reach the server.', retryAt: NOW + 30_000 }),
      NOW,
    )
    expect(line).toEqual({
      label: 'Offline · retrying in 30 s',
      tone: 'warning',
      detail: 'Cannot reach the server.',
      action: 'retry',
    })
  })

  it('auth failed asks for the password', () => {
    const line = describeStatus(state({ status: 'auth_failed', message: 'Refused.' }), NOW)
    expect(line).toMatchObject({ tone: 'error', action: 'password', detail: 'Refused.' })
  })

  it('a changed certificate offers to trust the new one only when it could be read', () => {
    const certificate = { fingerprint256: 'AA', subject: 's', issuer: 'i', validTo: 'v' }
    expect(describeStatus(state({ status: 'cert_changed', certificate }), NOW)).toMatchObject({
      label: 'Certificate changed',
      tone: 'error',
      action: 'trust',
    })
    expect(describeStatus(state({ status: 'cert_changed', certificate: null }), NOW).action).toBe(
      'retry',
    )
    expect(describeStatus(state({ status: 'cert_untrusted', certificate }), NOW).label).toBe(
      'Untrusted certificate',
    )
  })

  it('a newer state event overrides the listed state of that account only', () => {
    const accounts = [
      { id: 1, state: state({ accountId: 1 }) },
      { id: 2, state: state({ accountId: 2 }) },
    ]
    const merged = mergeStates(accounts, new Map([[2, state({ accountId: 2, status: 'offline' })]]))
    expect(merged.map((a) => a.state.status)).toEqual(['idle', 'offline'])
    expect(merged[0]).toBe(accounts[0])
  })
})
