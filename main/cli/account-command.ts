import { CertificateError } from '../mail/accounts/certificates.js'
import { parseServerUrl, type ServerSettings } from '../mail/accounts/server-settings.js'
import { CairnError } from '../shared/errors.js'
import {
  parseCommandArgs,
  runSubcommand,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import { openMailRuntime } from './mail-runtime.js'
import { withCliProfile } from './profile-arg.js'

export const accountCommand: Command = {
  name: 'account',
  summary: 'Add and list mail accounts (IMAP and SMTP)',
  usage: `cairn account add --profile DIR --email ADDR --password-stdin [--imap URL] [--smtp URL]
                  [--user NAME] [--ca FILE] [--trust-imap SHA256] [--trust-smtp SHA256]
                  [--allow-plaintext] [--json]
cairn account list --profile DIR [--json]

add: signs in to both servers, then keeps the account (its password goes to
the system keychain, never to a file). Without --imap/--smtp the settings are
looked up from the address (autoconfig, Thunderbird's ISP database, SRV
records, well-known names). Prints the new account's id.

  --imap URL        imaps://HOST:PORT (TLS) or imap://HOST:PORT (STARTTLS)
  --smtp URL        smtps://HOST:PORT (TLS) or smtp://HOST:PORT (STARTTLS)
  --user NAME       the sign-in name, when it is not the address
  --ca FILE         also trust this CA certificate (PEM), for a private CA
  --trust-imap FP   trust the IMAP server's certificate with this SHA-256
  --trust-smtp FP   fingerprint (shown when no CA vouches for it)
  --allow-plaintext allow imap+plain:// or smtp+plain:// to a host other than this machine
  --password-stdin  read the password from standard input`,
  run: (args, context) =>
    runSubcommand(args, context, {
      add: addAccount,
      list: listAccounts,
    }),
}

async function readStdin(context: CliContext): Promise<string> {
  const input = (context as CliContext & { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin
  const chunks: Buffer[] = []
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

async function addAccount(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    profile: { type: 'string' },
    email: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    imap: { type: 'string' },
    smtp: { type: 'string' },
    user: { type: 'string' },
    name: { type: 'string' },
    ca: { type: 'string' },
    'trust-imap': { type: 'string' },
    'trust-smtp': { type: 'string' },
    'allow-plaintext': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  })
  if (!values.email) throw new UsageError('Give the address with --email.')
  if (!values['password-stdin'])
    throw new UsageError(
      'Give the password on standard input with --password-stdin (never as an argument).',
    )
  if ((values.imap === undefined) !== (values.smtp === undefined))
    throw new UsageError('Give both --imap and --smtp, or neither.')
  const password = await readStdin(context)
  if (!password) throw new UsageError('Standard input held no password.')
  const username = values.user ?? values.email
  const withCa = (s: ServerSettings): ServerSettings =>
    values.ca ? { ...s, caFile: values.ca } : s
  return withCliProfile(values, context, async (profile) => {
    const runtime = openMailRuntime(profile)
    try {
      const { accountId } = await runtime.accounts
        .add({
          email: values.email as string,
          name: values.name,
          password,
          imap: values.imap ? withCa(parseServerUrl(values.imap, 'imap', username)) : undefined,
          smtp: values.smtp ? withCa(parseServerUrl(values.smtp, 'smtp', username)) : undefined,
          allowPlaintext: values['allow-plaintext'],
          caFile: values.ca,
          trust: { imap: values['trust-imap'], smtp: values['trust-smtp'] },
          discovery: { caFile: values.ca },
        })
        .catch((error: unknown) => {
          if (error instanceof CertificateError && error.certificate) {
            const which =
              error.server.port ===
              (values.smtp ? parseServerUrl(values.smtp, 'smtp', username).port : -1)
                ? 'smtp'
                : 'imap'
            throw new CairnError(
              error.code,
              `${error.message}\n  subject: ${error.certificate.subject.replace(/\n/g, ', ')}\n  issuer:  ${error.certificate.issuer.replace(/\n/g, ', ')}\n  valid until ${error.certificate.validTo}\nIf the fingerprint is right, add the account again with --trust-${which} ${error.certificate.fingerprint256}`,
            )
          }
          throw error
        })
      const account = runtime.accounts.list().find((a) => a.id === accountId)
      if (values.json) writeJson(context, { accountId, account })
      else context.stdout.write(`${accountId}\n`)
      if (!values.json && account)
        context.stderr.write(
          `Added ${account.email}: IMAP ${account.imap.host}:${account.imap.port} (${account.imap.security}), SMTP ${account.smtp.host}:${account.smtp.port} (${account.smtp.security}).\n`,
        )
      return 0
    } finally {
      await runtime.close()
    }
  })
}

async function listAccounts(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    profile: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  return withCliProfile(values, context, async (profile) => {
    const runtime = openMailRuntime(profile)
    try {
      const accounts = runtime.accounts.list()
      if (values.json) writeJson(context, accounts)
      else if (accounts.length === 0)
        context.stdout.write('No mail accounts. Add one with "cairn account add".\n')
      else
        for (const a of accounts)
          context.stdout.write(
            `${a.id}\t${a.email}\timap ${a.imap.security} ${a.imap.host}:${a.imap.port}\tsmtp ${a.smtp.security} ${a.smtp.host}:${a.smtp.port}${a.auth === 'oauth2' ? '\toauth2' : ''}\n`,
          )
      return 0
    } finally {
      await runtime.close()
    }
  })
}
