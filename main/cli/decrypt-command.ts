import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { AgeError } from '../backup/age/errors.js'
import { AgeDecryptStream } from '../backup/age/stream.js'
import { identityFromSecret } from '../backup/age/x25519.js'
import { CairnError } from '../shared/errors.js'
import { parseCommandArgs, UsageError, type Command } from './command.js'
import { readKeyFile } from './key-input.js'

export const decryptCommand: Command = {
  name: 'decrypt',
  summary: 'Decrypt any age file (X25519) to standard output',
  usage: `cairn decrypt --identity F [FILE]

Plain age decryption, for recovery: reads FILE (or standard input), binary
or ASCII-armored, and writes the plaintext to standard output. F is an age
identity file (AGE-SECRET-KEY-1…) or a Cairn backup key (64 hex digits).
Output stops at the first damaged chunk; the exit code is then 1.`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(
      args,
      { identity: { type: 'string', short: 'i' } },
      true,
    )
    if (!values.identity) throw new UsageError('give the key with --identity FILE')
    if (positionals.length > 1) throw new UsageError('name at most one file')
    const key = readKeyFile(values.identity)
    const input = positionals[0] ? createReadStream(positionals[0]) : process.stdin
    try {
      await pipeline(input, new AgeDecryptStream([identityFromSecret(key.secret)]), context.stdout)
    } catch (error) {
      if (error instanceof AgeError) {
        throw new CairnError(
          error.failure === 'no match' ? 'KEY_MISMATCH' : 'BACKUP_CORRUPT',
          error.failure === 'no match'
            ? 'This file was not encrypted to this key.'
            : `The file is damaged: ${error.message}`,
        )
      }
      throw error
    }
    return 0
  },
}
