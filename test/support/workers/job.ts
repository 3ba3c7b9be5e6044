/** A job for the runner's tests: its input says how to behave. */
import { CairnError } from '../../../main/shared/errors.js'
import { serveJob } from '../../../main/workers/serve.js'

export type TestJobInput =
  | { kind: 'count'; to: number }
  | { kind: 'until-cancelled' }
  | { kind: 'fail' }
  | { kind: 'throw' }
  | { kind: 'exit-after-progress' }
  | { kind: 'ignore-cancel' }

serveJob<TestJobInput, number, string>(
  async (input, { signal, progress }) => {
    switch (input.kind) {
      case 'count':
        for (let i = 1; i <= input.to; i++) progress(i)
        return `counted to ${input.to}`
      case 'until-cancelled':
        await new Promise((resolve) => signal.addEventListener('abort', resolve))
        return 'cancelled cleanly'
      case 'fail':
        throw new CairnError('DISK_FULL', 'The disk is full.')
      case 'throw':
        throw new TypeError('undefined is not a function')
      case 'exit-after-progress':
        progress(1)
        setTimeout(() => process.exit(7), 20)
        return new Promise<string>(() => undefined)
      case 'ignore-cancel':
        return new Promise<string>(() => undefined)
    }
  },
  { unexpected: (message) => `The test job failed: ${message}` },
)
