import { spawn } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recoverInterruptedRestore } from '../../main/backup/restore/recover'
import { deadPid } from '../support/dead-pid'
import { makeProfile } from '../support/profiles'

describe('a restore killed while writing its journal', () => {
  it('leaves a temporary journal that the next start removes, unless its writer still runs', async () => {
    const profile = await makeProfile({ messages: 2 })
    const parent = join(profile.dir, '..')
    const orphan = `.profile.restore-journal.json.tmp-${deadPid()}-7a2af111`
    const living = spawn('sleep', ['30'])
    const busy = `.profile.restore-journal.json.tmp-${living.pid}-0badf00d`
    try {
      writeFileSync(join(parent, orphan), '{"version":1,"sta')
      writeFileSync(join(parent, busy), '{"version":1,"sta')
      expect(recoverInterruptedRestore(profile.dir)).toBe('nothing')
      expect(readdirSync(parent).sort()).toEqual([busy, 'profile'].sort())
    } finally {
      living.kill()
    }
  })
})
