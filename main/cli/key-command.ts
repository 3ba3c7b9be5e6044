import { readBackupSettings, setBackupKey } from '../backup/backup-settings.js'
import { loadKeyFromKeychain, saveKeyToKeychain } from '../backup/custody.js'
import {
  formatKeyAge,
  formatKeyHex,
  generateBackupKey,
  parseBackupKey,
  type BackupKey,
} from '../backup/key/backup-key.js'
import { recoverySheet } from '../backup/key/recovery-sheet.js'
import { checkRecoverySheetPath, writeRecoverySheet } from './recovery-sheet-file.js'
import { osKeychain } from '../keychain/keychain.js'
import { CairnError } from '../shared/errors.js'
import {
  parseCommandArgs,
  runSubcommand,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import { readOneKey, warnOn } from './key-input.js'
import {
  profileDirOf,
  profileOption,
  readProfileUnlocked,
  requireBackupSettingsOf,
  withCliProfile,
} from './profile-arg.js'
import { promptHidden, promptLine, readStdin } from './prompt.js'

const usage = `cairn key create [--profile DIR] [--keychain | --print] [--force] [--sheet FILE] [--json]
cairn key show   [--profile DIR] [--json]
cairn key export [--profile DIR] [--format hex|age] [--sheet FILE]
cairn key import [--profile DIR] [--key-file FILE]

The backup key encrypts this profile's backups. Backups need only its public
half (kept in the profile); restoring needs the key itself.

  create   make a new key. --keychain (the default) keeps it in the OS
           keychain; --print shows its 64 digits once and keeps only the
           public half (write them down: they are not stored anywhere).
  show     the key's fingerprint, public recipient and where it is kept.
  export   print the key from the keychain: 64 hex digits (--format hex)
           or age's format (--format age) for \`age -d -i\`.
  import   take a key you kept (typed, or --key-file) into the keychain and
           make it this profile's backup key.
  --sheet FILE  also write a printable recovery sheet to FILE (HTML; plain
                text when FILE ends in .txt).`

export const keyCommand: Command = {
  name: 'key',
  summary: 'Create, show, export or import the backup key',
  usage,
  run: (args, context) =>
    runSubcommand(args, context, { create, show, export: exportKey, import: importKey }),
}

async function create(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    keychain: { type: 'boolean', default: false },
    print: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    sheet: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  if (values.keychain && values.print)
    throw new UsageError('choose --keychain or --print, not both')
  if (values.sheet) checkRecoverySheetPath(values.sheet)
  return withCliProfile(values, context, async (profile) => {
    const existing = readBackupSettings(profile)
    if (existing && !values.force) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `This profile already has a backup key (fingerprint ${existing.fingerprint}). Backups made with it need it to be restored; ` +
          'use --force to replace it anyway.',
      )
    }
    const key = generateBackupKey()
    const custody = values.print ? 'user' : 'keychain'
    if (custody === 'keychain') {
      try {
        saveKeyToKeychain(osKeychain(), key)
      } catch (error) {
        throw new CairnError(
          'KEYCHAIN_UNAVAILABLE',
          `${(error as Error).message} The key was not created. Use --print to keep the key yourself instead.`,
        )
      }
    } else {
      await showOnce(key, context)
    }
    setBackupKey(profile, key, custody)
    if (values.sheet)
      writeRecoverySheet(values.sheet, recoverySheet(key, { createdAt: new Date() }))
    if (values.json)
      writeJson(context, { fingerprint: key.fingerprint, recipient: key.recipient, custody })
    else
      context.stdout.write(
        `Created backup key ${key.fingerprint}; it is kept ${custody === 'keychain' ? 'in the system keychain' : 'by you'}.\n`,
      )
    return 0
  })
}

/** Show the key once; on a terminal, make sure it was written down by asking for its last group. */
async function showOnce(key: BackupKey, context: CliContext): Promise<void> {
  const hex = formatKeyHex(key.secret)
  context.stdout.write(
    `Your backup key (fingerprint ${key.fingerprint}). Write it down now; Cairn will not show it again:\n\n` +
      `    ${hex.slice(0, 39)}\n    ${hex.slice(40)}\n\n`,
  )
  if (!process.stdin.isTTY) return
  const lastGroup = hex.slice(-4)
  for (let attempt = 0; attempt < 3; attempt++) {
    const typed = (await promptLine('To confirm, type the last 4 digits of the key: '))
      .trim()
      .toLowerCase()
    if (typed === lastGroup) return
    context.stderr.write('That does not match; look at the key again.\n')
  }
  throw new CairnError(
    'INVALID_ARGUMENT',
    'The key was not confirmed, so it was not saved. Run the command again.',
  )
}

/** Reads only: works while the app has the profile open (no lock taken). */
async function show(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    json: { type: 'boolean', default: false },
  })
  const settings = requireBackupSettingsOf(
    readProfileUnlocked(profileDirOf(values, context)).backup,
  )
  const info = {
    fingerprint: settings.fingerprint,
    recipient: settings.recipient,
    custody: settings.custody,
    createdAt: settings.keyCreatedAt,
    vault: settings.vault,
  }
  if (values.json) writeJson(context, info)
  else {
    const where = {
      keychain: 'the system keychain',
      user: 'you (it is not stored)',
      vault: 'the Backup Key Vault',
    }[settings.custody]
    context.stdout.write(
      `Fingerprint: ${info.fingerprint}\nRecipient:   ${info.recipient}\nKept by:     ${where}\nCreated:     ${info.createdAt}\n`,
    )
  }
  return 0
}

async function exportKey(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...profileOption,
    format: { type: 'string', default: 'hex' },
    sheet: { type: 'string' },
  })
  if (values.format !== 'hex' && values.format !== 'age')
    throw new UsageError('--format is hex or age')
  if (values.sheet) checkRecoverySheetPath(values.sheet)
  // Reads only (the settings and the keychain): works while the app has the profile open.
  const settings = requireBackupSettingsOf(
    readProfileUnlocked(profileDirOf(values, context)).backup,
  )
  const key = loadKeyFromKeychain(osKeychain(), settings.fingerprint)
  if (!key) {
    throw new CairnError(
      'KEY_MISSING',
      settings.custody === 'keychain'
        ? `The keychain has no key with fingerprint ${settings.fingerprint}. If you kept the key elsewhere, import it with "cairn key import".`
        : `This profile's key (fingerprint ${settings.fingerprint}) is not stored on this computer; it is kept by ${settings.custody === 'vault' ? 'the Backup Key Vault' : 'you'}.`,
    )
  }
  context.stdout.write(
    `${values.format === 'age' ? formatKeyAge(key.secret) : formatKeyHex(key.secret)}\n`,
  )
  if (values.sheet)
    writeRecoverySheet(
      values.sheet,
      recoverySheet(key, {
        createdAt: new Date(settings.keyCreatedAt),
        vaultId: settings.vault?.recordId,
        vaultUrl: settings.vault?.url ?? null,
      }),
    )
  return 0
}

async function importKey(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { ...profileOption, 'key-file': { type: 'string' } })
  const key = values['key-file']
    ? readOneKey(values['key-file'], warnOn(context))
    : parseBackupKey(
        process.stdin.isTTY
          ? await promptHidden('Backup key (64 hex digits): ')
          : await readStdin(),
      )
  return withCliProfile(values, context, async (profile) => {
    saveKeyToKeychain(osKeychain(), key)
    setBackupKey(profile, key, 'keychain')
    context.stdout.write(`Imported backup key ${key.fingerprint} into the system keychain.\n`)
    return 0
  })
}
