import { sweepReleasedAttachments } from '../mail/attachment-sweep.js'
import { describeError, isCairnError } from '../shared/errors.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { openMailRuntime } from './mail-runtime.js'
import { withCliProfile } from './profile-arg.js'
import { terminalLine, terminalText } from './terminal-text.js'

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Sync mail accounts once (and send what waits in the outbox)',
  usage: `cairn sync --profile DIR [--account ID] --once [--json]

Syncs every folder of every account (or of one) once: queued local changes
go to the server, new mail comes down (headers, then bodies), and messages
waiting in the outbox are sent, and the attachment files of deleted mail
are removed. Prints what changed. Exits 1 if any account
failed (the others are still synced).`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, {
      profile: { type: 'string' },
      account: { type: 'string' },
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    if (!values.once)
      throw new UsageError(
        'Add --once: the command line syncs once; continuous sync runs in the app.',
      )
    return withCliProfile(values, context, async (profile) => {
      const runtime = openMailRuntime(profile)
      try {
        const all = runtime.accounts.list()
        const ids = values.account === undefined ? all.map((a) => a.id) : [Number(values.account)]
        if (values.account !== undefined && !all.some((a) => a.id === ids[0]))
          throw new UsageError(`There is no account ${values.account}.`)
        const results = []
        let failed = false
        for (const id of ids) {
          try {
            const [report] = await runtime.sync.syncOnce(id)
            results.push({ ...report, error: null })
          } catch (error) {
            failed = true
            results.push({
              accountId: id,
              error: {
                code: isCairnError(error) ? error.code : 'INTERNAL',
                message: describeError(error),
              },
            })
          }
        }
        await runtime.send.flush({ force: true })
        // The files of mail deleted here or on the server leave the profile, as in the app.
        sweepReleasedAttachments(runtime.db, profile.paths.attachments)
        const outbox = runtime.send
          .outbox()
          .filter((e) => values.account === undefined || e.accountId === Number(values.account))
        if (values.json) writeJson(context, { accounts: results, outbox })
        else {
          for (const r of results) {
            if (r.error)
              context.stdout.write(`account ${r.accountId}: ${terminalText(r.error.message)}\n`)
            else if ('folders' in r)
              context.stdout.write(
                `account ${r.accountId}: ${r.folders} folders, ${r.added} new, ${r.removed} removed, ${r.flagsChanged} changed, ${r.bodies} bodies, ${r.actionsReplayed} local changes sent\n`,
              )
          }
          for (const e of outbox)
            context.stdout.write(
              `outbox: "${terminalLine(e.subject)}" ${e.state}${e.lastError ? `: ${terminalText(e.lastError)}` : ''}\n`,
            )
        }
        return failed || outbox.some((e) => e.state !== 'sent') ? 1 : 0
      } finally {
        await runtime.close()
      }
    })
  },
}
