/**
 * How many bytes one SFTP READ or WRITE request carries. Each request costs
 * a packet to encrypt and send, a syscall and a callback on both sides, so
 * a 1 GB restore in 64 KiB requests spent more CPU on the requests than on
 * the data (and ssh2 runs on the thread that also unpacks). OpenSSH takes
 * up to 255 KiB per request and says so (limits@openssh.com); ssh2 keeps
 * the session's limits in private fields and splits a larger request into
 * two answered one after the other, which halves throughput. So: the
 * largest multiple of 32 KiB the session allows, at most 128 KiB (224 KiB
 * was as fast and left restore's peak RSS ~10 MB higher: fewer, larger
 * buffers mean fewer young-generation collections, so dead ones wait
 * longer); the session's own limit where it is smaller (ssh2 assumes
 * 31,952 bytes for servers other than OpenSSH). The fallback, for an ssh2
 * that no longer keeps those fields, is below every limit it has used.
 */
import type { SFTPWrapper } from 'ssh2'

const STEP = 32 * 1024
const MOST = 128 * 1024
export const FALLBACK_REQUEST = 30 * 1024

export function requestSize(sftp: SFTPWrapper, direction: 'read' | 'write'): number {
  const limits = sftp as unknown as { _maxReadLen?: unknown; _maxWriteLen?: unknown }
  const limit = direction === 'read' ? limits._maxReadLen : limits._maxWriteLen
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1024)
    return FALLBACK_REQUEST
  if (limit < STEP) return limit
  return Math.min(MOST, limit - (limit % STEP))
}
