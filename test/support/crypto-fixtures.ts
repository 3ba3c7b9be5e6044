import { writeFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createWriteStream } from 'node:fs'
import { AgeEncryptStream } from '../../main/backup/age/stream'
import { zstdCompressor } from '../../main/backup/archive/zstd'
import type { BackupKey } from '../../main/backup/key/backup-key'

/** zstd-compress a whole buffer (test fixtures are small). */
export function zstd(data: Buffer): Buffer {
  const parts: Buffer[] = []
  const compressor = zstdCompressor((bytes) => parts.push(Buffer.from(bytes)))
  compressor.write(data)
  compressor.end()
  return Buffer.concat(parts)
}

/** Write `tar` as a backup file: zstd, then age to the key's recipient (as Cairn would, whatever the tar holds). */
export async function writeEncryptedArchive(
  path: string,
  tar: Buffer,
  key: BackupKey,
): Promise<void> {
  await pipeline(
    Readable.from([zstd(tar)]),
    new AgeEncryptStream([key.identity.publicKey]),
    createWriteStream(path),
  )
}

export function flipByte(path: string, data: Buffer, position: number): void {
  const copy = Buffer.from(data)
  copy[position] = (copy[position] as number) ^ 0x40
  writeFileSync(path, copy)
}
