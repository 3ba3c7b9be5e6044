import { createReadStream, statSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { AgeError } from '../backup/age/errors.js'
import { AgeDecryptStream } from '../backup/age/stream.js'
import { CairnError, errnoCode } from '../shared/errors.js'
import { parseCommandArgs, UsageError, type Command } from './command.js'
import { readKeyFile, warnOn } from './key-input.js'

export const decryptCommand: Command = {
  name: 'decrypt',
  summary: 'Decrypt any age file (X25519) to standard output',
  usage: `cairn decrypt --identity F [FILE]

Plain age decryption, for recovery: reads FILE (or standard input), binary
or ASCII-armored, and writes the plaintext to standard output. F is an age
identity file (one or more AGE-SECRET-KEY-1… lines) or a Cairn backup key
(64 hex digits). Output stops at the first damaged chunk; the exit code is
then 1.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { identity: { type: 'string', short: 'i' } },
      true,
    )
    if (!values.identity) throw new UsageError('give the key with --identity FILE')
    if (positionals.length > 1) throw new UsageError('name at most one file')
    const keys = readKeyFile(values.identity, warnOn(context))
    const file = positionals[0]
    if (file) checkReadable(file)
    const input = file ? createReadStream(file) : process.stdin
    try {
      await pipeline(input, new AgeDecryptStream(keys.map((k) => k.identity)), context.stdout)
    } catch (error) {
      if (error instanceof AgeError) {
        throw new CairnError(
          error.failure === 'no match' ? 'KEY_MISMATCH' : 'BACKUP_CORRUPT',
          error.failure === 'no match'
            ? `This file was not encrypted to ${keys.length === 1 ? 'this key' : 'any of these keys'}.`
            : `The file is damaged: ${error.message}`,
        )
      }
      if (file && errnoCode(error)) checkReadable(file)
      throw error
    }
    return 0
  },
}

/** A missing or unreadable input said plainly, before any output. */
function checkReadable(file: string): void {
  let isFile: boolean
  try {
    isFile = statSync(file).isFile()
  } catch (error) {
    const code = errnoCode(error)
    throw new CairnError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
      code === 'ENOENT'
        ? `There is no file at ${file}. Check the path.`
        : `Cairn cannot read ${file} (${code ?? 'error'}): check that you may read it.`,
      { cause: error },
    )
  }
  if (!isFile)
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${file} is not a file (a folder?). Name the encrypted file.`,
    )
}
