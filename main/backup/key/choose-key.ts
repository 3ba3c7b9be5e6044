import { dearmor, isArmored, MAX_ARMORED_BYTES } from '../age/armor.js'
import { parseHeader } from '../age/header.js'
import { openHeader } from '../age/opener.js'
import type { BackupSource } from '../destination/backup-source.js'
import type { BackupKey } from './backup-key.js'

/** An age header is a few hundred bytes; this much of the start of a backup surely holds it. */
const HEAD_BYTES = 64 * 1024

/**
 * Which of `keys` opens the backup, found from its age header alone (the
 * first 64 KiB, read as a byte range; the whole file when it is
 * ASCII-armored, which only small files are): null when none does, or the
 * header cannot be read (the decryption that follows then says why). This
 * is how an identity file holding several keys is used, as age itself does.
 */
export async function keyThatOpens(
  source: BackupSource,
  keys: readonly BackupKey[],
): Promise<BackupKey | null> {
  let header
  try {
    header = parseHeader(await headerBytes(source))
  } catch {
    return null
  }
  if (!header) return null
  for (const key of keys) {
    try {
      openHeader(header, [key.identity])
      return key
    } catch {
      // not this one
    }
  }
  return null
}

async function headerBytes(source: BackupSource): Promise<Buffer> {
  const { size } = await source.stat()
  if (size === 0) return Buffer.alloc(0)
  const head = await readAll(await source.read({ start: 0, end: Math.min(size, HEAD_BYTES) - 1 }))
  const complete = size <= HEAD_BYTES
  if (!isArmored(head, complete)) return head
  if (complete) return dearmor(head)
  if (size > MAX_ARMORED_BYTES) return head
  return dearmor(await readAll(await source.read()))
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}
