import { describe, expect, it } from 'vitest'
import { compareBackupNames } from '../../main/backup/destination/names'

describe('backup name order', () => {
  it('puts the backups of one second in the order they were made (none, -1, -2 … -10)', () => {
    const names = [
      'cairn-backup-20261127T183906Z-10.tar.zst.age',
      'cairn-backup-20261127T183906Z-1.tar.zst.age',
      'cairn-backup-20261127T183907Z.tar.zst.age',
      'cairn-backup-20261127T183906Z.tar.zst.age',
      'cairn-backup-20261127T183906Z-2.tar.zst.age',
      'cairn-backup-20261127T183905Z-3.tar.zst.age',
    ]
    expect([...names].sort(compareBackupNames)).toEqual([
      'cairn-backup-20261127T183905Z-3.tar.zst.age',
      'cairn-backup-20261127T183906Z.tar.zst.age',
      'cairn-backup-20261127T183906Z-1.tar.zst.age',
      'cairn-backup-20261127T183906Z-2.tar.zst.age',
      'cairn-backup-20261127T183906Z-10.tar.zst.age',
      'cairn-backup-20261127T183907Z.tar.zst.age',
    ])
  })
})
