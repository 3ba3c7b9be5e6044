/**
 * A task server for the runner's tests: each task says how to behave, so a
 * test can make a real worker thread answer, fail, die, hang or crash.
 */
import { execFileSync } from 'node:child_process'
import { threadId } from 'node:worker_threads'
import { CairnError } from '../../../main/shared/errors.js'
import { serveTasks } from '../../../main/workers/serve.js'

export type TestTask =
  | { kind: 'echo'; value: string }
  | { kind: 'slow'; value: string; ms: number }
  | { kind: 'fail'; message: string }
  | { kind: 'exit'; code: number }
  | { kind: 'crash' }
  | { kind: 'loop' }
  | { kind: 'native-wait'; seconds: number }

serveTasks(async (task: TestTask) => {
  switch (task.kind) {
    case 'echo':
      return { value: task.value, threadId }
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, task.ms))
      return { value: task.value, threadId }
    case 'fail':
      throw new CairnError('MESSAGE_MALFORMED', task.message)
    case 'exit':
      process.exit(task.code)
      break
    case 'crash':
      // An error nobody catches: the thread ends with an 'error' event.
      setImmediate(() => {
        throw new Error('boom in the worker')
      })
      return new Promise(() => undefined)
    case 'native-wait':
      // Blocked in native code, where terminating a thread cannot reach it (like a long SQLite query).
      execFileSync('sleep', [String(task.seconds)])
      return { value: 'woke', threadId }
    case 'loop':
      for (;;) {
        // a parser looping on hostile input
      }
  }
})
