import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/cli'
import { tempDir } from '../support/temp'

const tracer = join(import.meta.dirname, '..', 'support', 'trace-imports.mjs')

/** What `cairn …` loaded: one URL a line (test/support/trace-imports.mjs). */
async function loadedBy(args: string[]): Promise<{ loaded: string[]; stderr: string }> {
  const trace = join(tempDir(), 'imports.txt')
  writeFileSync(trace, '')
  const result = await runCli(args, {
    env: { NODE_OPTIONS: `--import=${tracer}`, CAIRN_TRACE_IMPORTS: trace },
  })
  return {
    loaded: readFileSync(trace, 'utf8').split('\n').filter(Boolean),
    stderr: result.stderr,
  }
}

const awsSdk = (url: string) => url.includes('/node_modules/@aws-sdk/')
const ssh2 = (url: string) => url.includes('/node_modules/ssh2/')

// The AWS SDK costs ~35 MB and most of a second to load, ssh2 ~20 MB: a
// restore's peak memory and a backup's start pay for them only when used.
describe('destination libraries load on first use', () => {
  it('a folder destination loads neither the AWS SDK nor ssh2', async () => {
    const { loaded, stderr } = await loadedBy(['list', '--to', tempDir()])
    expect(
      loaded.some((url) => url.includes('/out/main/')),
      stderr,
    ).toBe(true)
    expect(loaded.filter(awsSdk)).toEqual([])
    expect(loaded.filter(ssh2)).toEqual([])
  })

  it('an SFTP destination loads ssh2 when it connects, and not the AWS SDK', async () => {
    // Nothing listens on port 1: the connection is refused at once, after ssh2 loaded.
    const { loaded, stderr } = await loadedBy(['list', '--to', 'sftp://nobody@127.0.0.1:1/backups'])
    expect(loaded.filter(ssh2).length, stderr).toBeGreaterThan(0)
    expect(loaded.filter(awsSdk)).toEqual([])
  })
})
