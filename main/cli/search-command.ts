import { openMailDb } from '../mail/db/connection.js'
import { searchMessages } from '../mail/store/search.js'
import { parseCommandArgs, UsageError, writeJson, type Command } from './command.js'
import { withCliProfile } from './profile-arg.js'
import { terminalLine } from './terminal-text.js'

export const searchCommand: Command = {
  name: 'search',
  summary: 'Search all mail (the same search as the app)',
  usage: `cairn search --profile DIR [--json] [--limit N] QUERY

Every word must match (subject, people, text); the last one may be the start
of a word. Newest first.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        profile: { type: 'string' },
        json: { type: 'boolean', default: false },
        limit: { type: 'string', default: '50' },
      },
      true,
    )
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit takes a number from 1 to 10000.')
    const query = positionals.join(' ').trim()
    if (!query) throw new UsageError('Give something to search for.')
    return withCliProfile(values, context, async (profile) => {
      const db = openMailDb(profile.paths.database)
      try {
        const hits = searchMessages(db, query, limit)
        if (values.json) writeJson(context, hits)
        else
          for (const h of hits)
            context.stdout.write(
              `${new Date(h.date).toISOString().slice(0, 16).replace('T', ' ')}  ${terminalLine(h.folderName)}  ${terminalLine(h.from.name || h.from.address)}  ${terminalLine(h.subject)}\n`,
            )
        return 0
      } finally {
        db.close()
      }
    })
  },
}
