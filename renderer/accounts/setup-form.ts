import type {
  SetupResult,
  SetupServer,
  SetupSettings,
} from '../../main/mail/accounts/account-setup'
import type { MethodInput } from '../../main/ipc/contract'

/** One server as the form edits it: the port stays text until it is checked. */
export interface ServerFields {
  host: string
  port: string
  security: SetupServer['security']
  username: string
}

/** The "Add an account" form. */
export interface SetupForm {
  email: string
  name: string
  password: string
  imap: ServerFields
  smtp: ServerFields
  /** The user accepted sending the password unencrypted to a server that is not this computer. */
  allowPlaintext: boolean
}

export type SetupErrors = Partial<
  Record<'email' | 'password' | 'imap' | 'smtp' | 'allowPlaintext', string>
>

const EMAIL = /^[^\s@]+@[^\s@]+$/
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i

export function emptyForm(): SetupForm {
  return {
    email: '',
    name: '',
    password: '',
    imap: { host: '', port: '993', security: 'tls', username: '' },
    smtp: { host: '', port: '465', security: 'tls', username: '' },
    allowPlaintext: false,
  }
}

/** Manual settings to start from when the lookup found nothing: imap./smtp. of the domain, TLS. */
export function guessedSettings(form: SetupForm): SetupForm {
  const domain = form.email.split('@')[1]?.trim().toLowerCase() ?? ''
  const username = form.email.trim()
  return {
    ...form,
    imap: { host: domain ? `imap.${domain}` : '', port: '993', security: 'tls', username },
    smtp: { host: domain ? `smtp.${domain}` : '', port: '465', security: 'tls', username },
  }
}

/** Put what the lookup found into the form, for the user to check. */
export function withDiscovered(form: SetupForm, found: SetupSettings): SetupForm {
  const fields = (s: SetupServer): ServerFields => ({ ...s, port: String(s.port) })
  return { ...form, imap: fields(found.imap), smtp: fields(found.smtp) }
}

/** The usual port for a security choice, when the user switches it and left the port at a default. */
export function withSecurity(
  fields: ServerFields,
  protocol: 'imap' | 'smtp',
  security: ServerFields['security'],
): ServerFields {
  const defaults = DEFAULT_PORTS[protocol]
  const atDefault = (Object.values(defaults) as string[]).includes(fields.port)
  return { ...fields, security, port: atDefault ? defaults[security] : fields.port }
}

const DEFAULT_PORTS = {
  imap: { tls: '993', starttls: '143', plain: '143' },
  smtp: { tls: '465', starttls: '587', plain: '25' },
} as const

/** What keeps the form from being sent; an empty object when nothing does. */
export function validate(form: SetupForm, options: { manual: boolean }): SetupErrors {
  const errors: SetupErrors = {}
  if (!EMAIL.test(form.email.trim())) errors.email = 'Enter your full email address.'
  // The lookup needs only the address (a provider may offer "Sign in with …" instead of a password).
  if (!options.manual) return errors
  if (form.password.length === 0) errors.password = 'Enter the password of this address.'
  for (const protocol of ['imap', 'smtp'] as const) {
    const problem = serverProblem(form[protocol])
    if (problem) errors[protocol] = problem
  }
  const plainElsewhere = (['imap', 'smtp'] as const).some(
    (p) => form[p].security === 'plain' && !LOOPBACK.test(form[p].host.trim()),
  )
  if (plainElsewhere && !form.allowPlaintext)
    errors.allowPlaintext =
      'Without encryption your password crosses the network readable by anyone on the way. Tick the box only if you accept that.'
  return errors
}

function serverProblem(fields: ServerFields): string | null {
  if (!/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:]+\]?$/.test(fields.host.trim()))
    return 'Enter the server name (for example imap.example.com).'
  const port = Number(fields.port)
  if (!/^\d+$/.test(fields.port.trim()) || port < 1 || port > 65535)
    return 'The port is a number from 1 to 65535.'
  if (fields.username.trim().length === 0) return 'Enter the user name (often your address).'
  return null
}

/** The `accounts.add` call for a checked form and the certificates the user accepted so far. */
export function toAddInput(
  form: SetupForm,
  trust: { imap?: string; smtp?: string },
): MethodInput<'accounts.add'> {
  const server = (f: ServerFields): SetupServer => ({
    host: f.host.trim(),
    port: Number(f.port),
    security: f.security,
    username: f.username.trim(),
  })
  return {
    email: form.email.trim(),
    name: form.name.trim() || undefined,
    password: form.password,
    imap: server(form.imap),
    smtp: server(form.smtp),
    allowPlaintext: form.allowPlaintext || undefined,
    trust,
  }
}

export type CertificateQuestion = Extract<SetupResult, { kind: 'certificate' }>

/** A SHA-256 fingerprint in groups of two hex digits, as providers publish them. */
export function formatFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-f]/gi, '').toUpperCase()
  return hex.match(/.{1,2}/g)?.join(':') ?? ''
}

/** What the certificate screen says, from the setup's answer. */
export function describeCertificate(question: CertificateQuestion): {
  title: string
  detail: string
} {
  const server = `${question.server.host}:${question.server.port}`
  const role = question.which === 'imap' ? 'incoming mail (IMAP)' : 'outgoing mail (SMTP)'
  return question.changed
    ? {
        title: `The certificate of ${server} has changed`,
        detail: `The ${role} server now shows a different certificate from the one you trusted. Someone may be intercepting the connection: trust it only if your provider confirms the change.`,
      }
    : {
        title: `Cairn cannot vouch for ${server}`,
        detail: `The ${role} server's certificate is not trusted (${question.reason}). Compare its fingerprint with the one your provider publishes; trust it only if they match.`,
      }
}
