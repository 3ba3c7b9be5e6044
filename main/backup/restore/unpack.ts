import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { CairnError, isCairnError } from '../../shared/errors.js'
import { AgeError } from '../age/errors.js'
import { AgeDecryptStream } from '../age/stream.js'
import type { Manifest, ManifestFile } from '../archive/manifest.js'
import { readArchive } from '../archive/read-archive.js'
import { zstdDecompressStream } from '../archive/zstd.js'
import type { BackupKey } from '../key/backup-key.js'

export interface UnpackOptions {
  file: string
  key: BackupKey
  targetDir: string
  write?: (file: ManifestFile) => boolean
  onManifest?: (manifest: Manifest) => void
  onBytes?: (n: number) => void
  /** The key fingerprint the backup's sidecar names, for a better message when the key is wrong. */
  expectedFingerprint?: string | null
}

/**
 * Decrypt, decompress and read a backup into `targetDir`, checking every
 * file against the manifest on the way (see readArchive). Nothing is
 * written before the age header authenticated with the key.
 */
export async function unpackBackup(options: UnpackOptions): Promise<Manifest> {
  const source = createReadStream(options.file, { highWaterMark: 1 << 20 })
  const plain = chain(source, new AgeDecryptStream([options.key.identity]), zstdDecompressStream())
  try {
    return await readArchive(plain, options)
  } catch (error) {
    throw explain(error, options)
  } finally {
    source.destroy()
  }
}

/** Pipe streams into each other; any one's error ends the last one with that error. */
function chain(...streams: Readable[]): Readable {
  for (let i = 0; i < streams.length - 1; i++) {
    const from = streams[i] as Readable
    const to = streams[i + 1] as unknown as NodeJS.WritableStream & Readable
    from.pipe(to)
    from.on('error', (error) => to.destroy(error))
  }
  return streams[streams.length - 1] as Readable
}

function explain(error: unknown, options: UnpackOptions): unknown {
  if (error instanceof AgeError) {
    switch (error.failure) {
      case 'no match':
        return new CairnError(
          'KEY_MISMATCH',
          `This backup was not made with this key (key fingerprint ${options.key.fingerprint}` +
            (options.expectedFingerprint
              ? `; the backup needs the key with fingerprint ${options.expectedFingerprint}`
              : '') +
            '). Check that you typed the key of this profile.',
        )
      case 'hmac':
      case 'header':
        return new CairnError(
          'BACKUP_CORRUPT',
          `This backup file is damaged: its encryption header cannot be read (${error.message}).`,
        )
      case 'payload':
        return new CairnError(
          'BACKUP_CORRUPT',
          `This backup file is damaged or incomplete (${error.message.replace(/^age payload: /, '')}). Use an older backup.`,
        )
    }
  }
  if (isCairnError(error)) return error
  if (
    error instanceof Error &&
    /zstd|Unknown frame|corrupted|Data corruption|checksum/i.test(error.message)
  ) {
    return new CairnError(
      'BACKUP_CORRUPT',
      `This backup file is damaged: its compressed data is invalid (${error.message}).`,
    )
  }
  return error
}
