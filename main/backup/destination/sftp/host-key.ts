import { createHash } from 'node:crypto'
import { CairnError } from '../../../shared/errors.js'

/** An SSH host key as OpenSSH shows it: `SHA256:<base64 without padding>`, and its type. */
export function hostKeyFingerprint(key: Buffer): { fingerprint: string; algorithm: string } {
  const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
  // The key blob starts with its type as an SSH string (uint32 length, bytes).
  let algorithm = 'unknown'
  if (key.length >= 4) {
    const length = key.readUInt32BE(0)
    if (length > 0 && length < 64 && key.length >= 4 + length)
      algorithm = key.subarray(4, 4 + length).toString('latin1')
  }
  return { fingerprint, algorithm }
}

/**
 * The server's host key is not pinned yet (first connection) or does not
 * match the pinned one. Carries the fingerprint so the caller can show it
 * and, for a first connection, pin it once the user agrees.
 */
export class HostKeyError extends CairnError {
  constructor(
    readonly kind: 'unknown' | 'changed',
    readonly label: string,
    readonly fingerprint: string,
    readonly algorithm: string,
    readonly pinned: string | null,
  ) {
    super(
      kind === 'unknown' ? 'DESTINATION_HOST_KEY_UNKNOWN' : 'DESTINATION_HOST_KEY_CHANGED',
      kind === 'unknown'
        ? `Backup destination ${label}: this server is not known yet. Its ${algorithm} host key has the fingerprint ${fingerprint}. ` +
            'Compare it with the one the server’s administrator gives (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server), then accept it ' +
            `(cairn destination add … --host-key ${fingerprint}).`
        : `Backup destination ${label}: the server’s host key CHANGED. It was ${pinned ?? '?'}, it is now ${fingerprint} (${algorithm}). ` +
            'Nothing was sent. Someone may be intercepting the connection, or the server was reinstalled: ask its administrator, ' +
            'and only if the change is expected, accept the new key with cairn destination add … --host-key NEW_FINGERPRINT.',
    )
  }
}
