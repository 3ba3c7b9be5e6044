import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { dearmor, isArmored, MAX_ARMORED_BYTES } from '../age/armor.js'
import { parseHeader } from '../age/header.js'
import { openHeader } from '../age/opener.js'
import type { BackupKey } from './backup-key.js'

/**
 * Which of `keys` opens the backup `file`, found from its age header alone
 * (a few hundred bytes; the whole file when it is ASCII-armored, which only
 * small files are): null when none does, or the header cannot be read (the
 * decryption that follows then says why). This is how an identity file
 * holding several keys is used, as age itself does.
 */
export function keyThatOpens(file: string, keys: readonly BackupKey[]): BackupKey | null {
  let header
  try {
    header = parseHeader(readHeaderBytes(file))
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

function readHeaderBytes(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const start = Buffer.alloc(64 * 1024)
    const read = readSync(fd, start, 0, start.length, 0)
    const head = start.subarray(0, read)
    if (!isArmored(head, read < start.length)) return head
    const size = fstatSync(fd).size
    if (size > MAX_ARMORED_BYTES) return head
    const whole = Buffer.alloc(size)
    let filled = 0
    while (filled < size) {
      const n = readSync(fd, whole, filled, size - filled, filled)
      if (n === 0) break
      filled += n
    }
    return dearmor(whole.subarray(0, filled))
  } finally {
    closeSync(fd)
  }
}
