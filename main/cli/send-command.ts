import { readFileSync } from 'node:fs'
import { CairnError, errnoCode } from '../shared/errors.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { openMailRuntime } from './mail-runtime.js'
import { withCliProfile } from './profile-arg.js'
import { terminalText } from './terminal-text.js'

export const sendCommand: Command = {
  name: 'send',
  summary: 'Send a message from a mail account',
  usage: `cairn send --profile DIR [--account ID] --to ADDR [--to ADDR…] [--cc ADDR…]
           --subject TEXT (--body TEXT | --body-file F) [--attach F…] [--json]

The message is stored in the outbox first, then sent, and a copy is filed in
Sent. If the server cannot take it now, it stays in the outbox with the
reason (exit 1) and is sent by the next "cairn sync --once" or by the app.`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      profile: { type: 'string' },
      account: { type: 'string' },
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      attach: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    })
    if (!values.to?.length) throw new UsageError('Name at least one recipient with --to.')
    if (values.subject === undefined) throw new UsageError('Give a subject with --subject.')
    if ((values.body === undefined) === (values['body-file'] === undefined))
      throw new UsageError('Give the text with --body or --body-file (one of them).')
    let text = values.body ?? ''
    if (values['body-file'] !== undefined) {
      try {
        text = readFileSync(values['body-file'], 'utf8')
      } catch (error) {
        throw new CairnError(
          'INVALID_ARGUMENT',
          `Cannot read ${values['body-file']} (${errnoCode(error) ?? 'error'}).`,
        )
      }
    }
    return withCliProfile(values, context, async (profile) => {
      const runtime = openMailRuntime(profile)
      try {
        const accounts = runtime.accounts.list()
        const accountId =
          values.account !== undefined
            ? Number(values.account)
            : accounts.length === 1
              ? accounts[0]?.id
              : undefined
        if (accountId === undefined || !accounts.some((a) => a.id === accountId))
          throw new UsageError(
            values.account !== undefined
              ? `There is no account ${values.account}.`
              : 'Choose the account to send from with --account ID (see "cairn account list").',
          )
        const { outboxId, messageId } = await runtime.send.send(accountId, {
          to: values.to ?? [],
          cc: values.cc,
          subject: values.subject ?? '',
          text,
          attachments: values.attach,
        })
        await runtime.send.flush({ force: true })
        const entry = runtime.send.outbox().find((e) => e.id === outboxId)
        const sent = !entry || entry.state === 'sent'
        if (values.json) writeJson(context, { messageId, sent, outbox: entry ?? null })
        else if (sent)
          context.stdout.write(
            `Sent ${messageId}${entry?.lastError ? ` (${terminalText(entry.lastError)})` : ''}.\n`,
          )
        else
          context.stdout.write(
            `Not sent yet; it waits in the outbox: ${terminalText(entry?.lastError ?? 'unknown reason')}\n`,
          )
        return sent ? 0 : 1
      } finally {
        await runtime.close()
      }
    })
  },
}
