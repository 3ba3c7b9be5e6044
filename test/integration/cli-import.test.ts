import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openServices } from '../../main/services'
import { runCli } from '../support/cli'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

describe('cairn import', () => {
  it('imports an mbox, reports as JSON, and adds nothing the second time', async () => {
    const profile = tempDir()
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(
      mbox,
      buildMbox([buildMessage({ subject: 'one' }), 'garbage\n', buildMessage({ subject: 'two' })]),
    )
    const first = await runCli(['import', '--profile', profile, '--json', mbox])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout)
    expect(report).toMatchObject({ imported: 2, duplicates: 0, folders: ['Inbox'] })
    expect(report.skipped).toHaveLength(1)
    const second = await runCli(['import', '--profile', profile, mbox])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('Imported 0 messages into Inbox; 2 were already there.')
    expect(second.stdout).toMatch(
      /Skipped .*Inbox\.mbox, message 2 \(byte \d+\): it does not start with a mail header/,
    )
  })

  it('exits 1 with a clear message for a missing file', async () => {
    const result = await runCli(['import', '--profile', tempDir(), '/no/such/file.mbox'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('cairn import: /no/such/file.mbox does not exist.\n')
  })

  it('exits 1 when the profile is open in another process', async () => {
    const profile = tempDir()
    const services = openServices(profile)
    try {
      const mbox = join(tempDir(), 'x.mbox')
      writeFileSync(mbox, buildMbox([buildMessage({})]))
      const result = await runCli(['import', '--profile', profile, mbox])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/already open in another Cairn process/)
    } finally {
      await services.close()
    }
  })

  it('exits 2 with usage on a usage mistake, and 0 for --help', async () => {
    const missing = await runCli(['import', '--profile', tempDir()])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('Name at least one mbox file')
    const help = await runCli(['import', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('cairn import [--profile DIR]')
    const unknown = await runCli(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "frobnicate"')
  })
})
