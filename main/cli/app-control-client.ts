import { connect } from 'node:net'
import {
  MAX_CONTROL_LINE,
  type ControlFile,
  type ControlReply,
  type ControlRequest,
} from '../profile/app-control.js'
import { CairnError, type ErrorCode } from '../shared/errors.js'

type Request =
  | Omit<Extract<ControlRequest, { command: 'backup' }>, 'token'>
  | Omit<Extract<ControlRequest, { command: 'restore' }>, 'token'>

export interface AppReplyHandlers {
  onProgress?: (progress: { phase: string; bytesDone: number; bytesTotal: number }) => void
  /** A restore that needs a yes: true to go ahead. */
  onPlan?: (plan: Extract<ControlReply, { type: 'plan' }>) => Promise<boolean>
}

/**
 * Ask the running app (its control file names the socket and token) to do
 * `request`, following its progress; resolves with what it reports when
 * done, rejects with its CairnError when it fails or cannot be reached.
 */
export function askRunningApp(
  app: ControlFile,
  request: Request,
  handlers: AppReplyHandlers = {},
): Promise<{ result: unknown; warnings: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.socket)
    let buffer = ''
    let settled = false
    const settle = (action: () => void) => {
      if (settled) return
      settled = true
      action()
      socket.end()
    }
    socket.setEncoding('utf8')
    socket.on('connect', () =>
      socket.write(`${JSON.stringify({ token: app.token, ...request })}\n`),
    )
    socket.on('error', (error) =>
      settle(() =>
        reject(
          new CairnError(
            'APP_CONTROL',
            `The Cairn app holds this profile but cannot be reached (${(error as NodeJS.ErrnoException).code ?? error.message}). ` +
              'Close the app, then run the command again.',
          ),
        ),
      ),
    )
    socket.on('close', () =>
      settle(() =>
        reject(
          new CairnError(
            'APP_CONTROL',
            'The Cairn app ended the connection before it finished (it was closed?). Check its window for what happened.',
          ),
        ),
      ),
    )
    socket.on('data', (chunk: string) => {
      buffer += chunk
      if (buffer.length > MAX_CONTROL_LINE * 4) {
        settle(() =>
          reject(new CairnError('APP_CONTROL', 'The app sent an answer too long to read.')),
        )
        return
      }
      let at: number
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, at)
        buffer = buffer.slice(at + 1)
        let reply: ControlReply
        try {
          reply = JSON.parse(line) as ControlReply
        } catch {
          settle(() =>
            reject(new CairnError('APP_CONTROL', 'The app sent an answer that is not JSON.')),
          )
          return
        }
        if (reply.type === 'progress') handlers.onProgress?.(reply)
        else if (reply.type === 'plan') {
          const answer = (yes: boolean) =>
            socket.write(`${JSON.stringify({ type: yes ? 'confirm' : 'cancel' })}\n`)
          Promise.resolve()
            .then(() => (handlers.onPlan ? handlers.onPlan(reply) : false))
            .then(answer, (error: unknown) => {
              answer(false)
              settle(() => reject(error))
            })
        } else if (reply.type === 'done')
          settle(() => resolve({ result: reply.result, warnings: reply.warnings }))
        else if (reply.type === 'error')
          settle(() => reject(new CairnError(reply.code as ErrorCode, reply.message)))
      }
    })
  })
}
