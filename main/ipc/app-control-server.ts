import { chmodSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { describeRestorePlan } from '../backup/manager/describe-plan.js'
import {
  controlAnswerSchema,
  controlRequestSchema,
  controlSocketPath,
  MAX_CONTROL_LINE,
  newControlToken,
  removeControlFile,
  tokensMatch,
  writeControlFile,
  type ControlReply,
  type ControlRequest,
} from '../profile/app-control.js'
import { CairnError, describeError, isCairnError, type ErrorCode } from '../shared/errors.js'
import type { ServiceContext } from './context.js'

export interface AppControlServer {
  readonly socket: string
  close(): Promise<void>
}

/**
 * The running app's end of `cairn backup` and `cairn restore` (see
 * main/profile/app-control.ts): a local socket whose every connection
 * must first present the token from the profile's control file. A backup
 * runs as the app's own "back up now" (the window shows it); a restore goes
 * through the same coordinator as the restore wizard, so the app closes its
 * services, swaps the profile and opens the restored one. Progress is sent
 * back line by line; a command line that goes away cancels its backup.
 */
export async function serveAppControl(
  ctx: ServiceContext,
  profileDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AppControlServer> {
  const token = newControlToken()
  const socket = controlSocketPath(env)
  const server = createServer((connection) => handle(connection))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socket, () => resolve())
  })
  if (process.platform !== 'win32') chmodSync(socket, 0o600)
  writeControlFile(profileDir, socket, token)
  // A restore replaces the profile folder, and the control file with it.
  const offReopened = ctx.profileEvents.on('reopened', () =>
    writeControlFile(profileDir, socket, token),
  )

  function handle(connection: Socket): void {
    const lines = lineReader(connection)
    const send = (reply: ControlReply) => {
      if (!connection.destroyed) connection.write(`${JSON.stringify(reply)}\n`)
    }
    const fail = (error: unknown) => {
      const known = isCairnError(error)
        ? error
        : new CairnError('INTERNAL', `The app failed: ${describeError(error)}`)
      send({ type: 'error', code: known.code, message: known.message })
      connection.end()
    }
    void (async () => {
      const first = await lines.next()
      let request: ControlRequest
      try {
        const parsed = controlRequestSchema.safeParse(JSON.parse(first ?? ''))
        if (!parsed.success || !tokensMatch(parsed.data.token, token)) throw new Error('refused')
        request = parsed.data
      } catch {
        // No token, a wrong one, or garbage: nothing is run, and nothing about the app is told.
        send({ type: 'error', code: 'APP_CONTROL', message: 'The app refused the request.' })
        connection.end()
        return
      }
      try {
        if (request.command === 'backup') await runBackup(connection, send, request.full === true)
        else await runRestore(request, lines, send)
        connection.end()
      } catch (error) {
        fail(error)
      }
    })()
  }

  async function runBackup(connection: Socket, send: (reply: ControlReply) => void, full: boolean) {
    const offProgress = ctx.backups.events.on('progress', (p) =>
      send({ type: 'progress', phase: p.phase, ...pick(p) }),
    )
    // A command line that goes away (Ctrl-C) takes its backup with it.
    const cancel = () => ctx.backups.cancel()
    connection.once('close', cancel)
    try {
      const outcome = await ctx.backups.backupNow(undefined, { full })
      if (!outcome.ok) throw new CairnError(outcome.error.code as ErrorCode, outcome.error.message)
      send({ type: 'done', result: outcome.result, warnings: outcome.result.warnings })
    } finally {
      connection.off('close', cancel)
      offProgress()
    }
  }

  async function runRestore(
    request: Extract<ControlRequest, { command: 'restore' }>,
    lines: LineReader,
    send: (reply: ControlReply) => void,
  ) {
    const offProgress = ctx.restores.events.on('progress', (p) =>
      send({ type: 'progress', phase: p.phase, ...pick(p) }),
    )
    try {
      const plan = await ctx.restores.start(request.file, {
        source: 'digits',
        text: request.key,
        custody: request.custody,
      })
      if (plan.confirmations.length > 0 && !request.force) {
        send({
          type: 'plan',
          description: describeRestorePlan(plan.summary),
          confirmations: plan.confirmations.map(({ kind, message }) => ({ kind, message })),
        })
        const answer = controlAnswerSchema.safeParse(JSON.parse((await lines.next()) ?? 'null'))
        if (!answer.success || answer.data.type !== 'confirm') {
          ctx.restores.discard()
          throw new CairnError('RESTORE_NEEDS_CONFIRMATION', 'Nothing was changed.')
        }
      }
      const done = await ctx.restores.execute(plan.confirmations.map((c) => c.kind))
      send({
        type: 'done',
        result: {
          profile: plan.summary.live.profileDir,
          files: plan.summary.backup.files,
          createdAt: done.createdAt,
          profileId: plan.summary.backup.profileId,
          messagesBefore: plan.summary.live.messages,
          messagesAfter: done.messages,
          replacedProfileId: plan.summary.live.profileId,
          existed: plan.summary.live.exists,
          accountSecretsRestored: done.accountSecretsRestored,
          confirmed: plan.confirmations.map((c) => c.kind),
        },
        warnings: done.warnings,
      })
    } finally {
      offProgress()
    }
  }

  return {
    socket,
    async close() {
      offReopened()
      removeControlFile(profileDir)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (process.platform !== 'win32') rmSync(socket, { force: true })
    },
  }
}

function pick(p: { bytesDone: number; bytesTotal: number }) {
  return { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }
}

interface LineReader {
  /** The next line, or null when the connection ended. */
  next(): Promise<string | null>
}

/** Lines of a connection, each at most MAX_CONTROL_LINE bytes (a longer one ends the connection). */
function lineReader(connection: Socket): LineReader {
  let buffer = ''
  let ended = false
  const waiting: ((line: string | null) => void)[] = []
  const lines: string[] = []
  const flush = () => {
    while (waiting.length > 0 && (lines.length > 0 || ended))
      (waiting.shift() as (line: string | null) => void)(lines.shift() ?? null)
  }
  connection.setEncoding('utf8')
  connection.on('data', (chunk: string) => {
    buffer += chunk
    let at: number
    while ((at = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, at))
      buffer = buffer.slice(at + 1)
    }
    if (buffer.length > MAX_CONTROL_LINE) connection.destroy()
    flush()
  })
  const end = () => {
    ended = true
    flush()
  }
  connection.on('end', end)
  connection.on('close', end)
  connection.on('error', end)
  return {
    next: () =>
      new Promise((resolve) => {
        waiting.push(resolve)
        flush()
      }),
  }
}
