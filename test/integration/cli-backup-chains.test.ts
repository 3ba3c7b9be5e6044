import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { addMail } from '../support/chain-world'
import { runCli } from '../support/cli'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

describe('cairn backup and list with chains', () => {
  it('backup makes incrementals after a full one, --full starts a chain, list --json gives kind and base, restore follows the chain', async () => {
    const profile = await makeProfile({ messages: 20 })
    const { keyFile } = setUpBackupKey(profile.dir)
    const dest = tempDir()
    const backUp = async (...extra: string[]) => {
      const run = await runCli([
        'backup',
        '--profile',
        profile.dir,
        '--to',
        dest,
        '--json',
        ...extra,
      ])
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      return JSON.parse(run.stdout) as { name: string; path: string; kind: string; base: string }
    }
    const first = await backUp()
    await addMail(profile.dir, 3)
    const second = await backUp()
    const third = await backUp('--full')
    await addMail(profile.dir, 2)
    const fourth = await backUp()
    expect([first.kind, second.kind, third.kind, fourth.kind]).toEqual([
      'full',
      'incremental',
      'full',
      'incremental',
    ])
    const text = await runCli(['backup', '--profile', profile.dir, '--to', dest, '--no-retention'])
    expect(text.stdout).toMatch(/Incremental: link 2 of the chain from cairn-backup-/)

    const listed = JSON.parse((await runCli(['list', '--to', dest, '--json'])).stdout) as {
      name: string
      kind: string
      base: string
      chainIndex: number
    }[]
    expect(listed.map((b) => [b.kind, b.chainIndex, b.base])).toEqual([
      ['full', 0, first.name],
      ['incremental', 1, first.name],
      ['full', 0, third.name],
      ['incremental', 1, third.name],
      ['incremental', 2, third.name],
    ])
    const target = join(tempDir(), 'restored')
    const restored = await runCli([
      'restore',
      fourth.path,
      '--profile',
      target,
      '--key-file',
      keyFile,
      '--force',
    ])
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    expect(messageCount(target)).toBe(25)
    const verified = await runCli(['verify', fourth.path])
    expect(verified.code).toBe(0)
  })
})
