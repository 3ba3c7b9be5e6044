import type { SFTPWrapper } from 'ssh2'
import { describe, expect, it } from 'vitest'
import { FALLBACK_REQUEST, requestSize } from '../../main/backup/destination/sftp/request-size.js'

const session = (fields: Record<string, unknown>) => fields as unknown as SFTPWrapper

describe('SFTP request size', () => {
  it('uses the largest multiple of 32 KiB under what the session allows, at most 128 KiB', () => {
    // ssh2 for OpenSSH: 256 KiB less 2 KiB of packet overhead.
    const openssh = session({ _maxReadLen: 260096, _maxWriteLen: 260096 })
    expect(requestSize(openssh, 'read')).toBe(128 * 1024)
    expect(requestSize(openssh, 'write')).toBe(128 * 1024)
    const large = session({ _maxReadLen: 4 << 20, _maxWriteLen: 100_000 })
    expect(requestSize(large, 'read')).toBe(128 * 1024)
    expect(requestSize(large, 'write')).toBe(96 * 1024)
  })

  it('never asks for more than a smaller server takes (ssh2 would split it in two)', () => {
    const other = session({ _maxReadLen: 31952, _maxWriteLen: 31952 })
    expect(requestSize(other, 'read')).toBe(31952)
    expect(requestSize(other, 'write')).toBe(31952)
  })

  it('falls back to a size below every limit when the session says nothing usable', () => {
    for (const value of [undefined, null, '262144', Number.NaN, 0, -5, 2.5])
      expect(requestSize(session({ _maxReadLen: value }), 'read')).toBe(FALLBACK_REQUEST)
    expect(FALLBACK_REQUEST).toBeLessThan(31952)
  })
})
