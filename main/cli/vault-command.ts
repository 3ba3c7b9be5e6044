import {
  readBackupSettings,
  setBackupKey,
  writeBackupSettings,
  type BackupSettings,
} from '../backup/backup-settings.js'
import { loadKeyFromKeychain, saveKeyToKeychain } from '../backup/custody.js'
import { backupKeyFromSecret, formatKeyHex, type BackupKey } from '../backup/key/backup-key.js'
import { recoverySheet } from '../backup/key/recovery-sheet.js'
import { checkRecoverySheetPath, writeRecoverySheet } from './recovery-sheet-file.js'
import { osKeychain } from '../keychain/keychain.js'
import { CairnError } from '../shared/errors.js'
import { VaultClient } from '../vault/client.js'
import { vaultConnection } from '../vault/client-options.js'
import { checkVaultRecord, vaultRecordOf } from '../vault/record-check.js'
import {
  parseCommandArgs,
  runSubcommand,
  UsageError,
  writeJson,
  type CliContext,
  type Command,
} from './command.js'
import { readOneKey, warnOn } from './key-input.js'
import { profileOption, withCliProfile } from './profile-arg.js'
import { promptHidden, readStdin } from './prompt.js'

const usage = `cairn vault register [--profile DIR] --vault URL [--max-guesses N] [--key-file F] [--sheet FILE] [--json]
cairn vault recover  [--profile DIR] --vault URL --id ID [--print] [--json]
cairn vault status   [--profile DIR] [--vault URL --id ID] [--key-file F] [--json]
cairn vault verify   [--profile DIR] [--vault URL --id ID]
cairn vault passwd   [--profile DIR] [--vault URL --id ID]
cairn vault delete   [--profile DIR] [--vault URL --id ID]

The Backup Key Vault keeps the backup key behind a password. The password
never leaves this computer (OPAQUE); the vault allows a limited number of
wrong passwords (10, or fewer with --max-guesses) and then destroys the key.

  register  store this profile's backup key (from the keychain, or
            --key-file) behind a new password; prints the record id, which
            belongs on the recovery sheet (--sheet writes one)
  recover   get the key back with the record id and password, into the
            system keychain (so \`cairn restore\` finds it), or printed (--print)
  status    does the record still exist, and were wrong passwords tried on
            it? Spends no guess (proves ownership with the backup key).
            Exits 1 when the password no longer recovers the key: then
            \`cairn vault register\` again sets a new one
  verify    log in with the password without printing anything: proves it
            still works and sets the wrong-password count back to zero
  passwd    change the password (asks for the old one, then the new one)
  delete    remove the record from the vault

Passwords are asked for on the terminal; scripts give them on standard input
with --password-stdin (one per line: for passwd, the old then the new).
--ca FILE trusts a certificate authority for the vault (also CAIRN_VAULT_CA).
The vault address must be https://; plain http:// only to this computer, or
with --insecure-http (also CAIRN_VAULT_INSECURE_HTTP=1) on a test network.`

export const vaultCommand: Command = {
  name: 'vault',
  summary: 'Keep the backup key behind a password in the Backup Key Vault',
  usage,
  run: (args, context) =>
    runSubcommand(args, context, { register, recover, status, verify, passwd, delete: remove }),
}

const common = {
  ...profileOption,
  vault: { type: 'string' },
  ca: { type: 'string' },
  'insecure-http': { type: 'boolean', default: false },
  'password-stdin': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const

type CommonValues = {
  vault?: string | undefined
  ca?: string | undefined
  'insecure-http'?: boolean | undefined
  'password-stdin'?: boolean | undefined
}

const connection = (values: CommonValues, context: CliContext) =>
  vaultConnection(context.env, { ca: values.ca, insecureHttp: values['insecure-http'] })

function clientFor(url: string, values: CommonValues, context: CliContext): VaultClient {
  return new VaultClient({ url, ...connection(values, context) })
}

/** Passwords: from standard input (one per line) with --password-stdin, else asked on the terminal. */
async function passwords(
  values: CommonValues,
  prompts: string[],
  confirmLast: boolean,
): Promise<string[]> {
  if (values['password-stdin']) {
    const lines = (await readStdin()).split(/\r?\n/)
    const found = prompts.map((_, i) => lines[i] ?? '')
    if (found.some((p) => p.length === 0)) {
      throw new UsageError(
        `--password-stdin expects ${prompts.length} non-empty line${prompts.length > 1 ? 's' : ''} on standard input`,
      )
    }
    return found
  }
  if (!process.stdin.isTTY)
    throw new UsageError('no terminal to ask for the password on: use --password-stdin')
  const answers: string[] = []
  for (const prompt of prompts) answers.push(await promptHidden(`${prompt}: `))
  if (confirmLast && (await promptHidden('Type it again: ')) !== answers[answers.length - 1]) {
    throw new CairnError('INVALID_ARGUMENT', 'The two passwords differ; nothing was changed.')
  }
  if (answers.some((a) => a.length === 0))
    throw new CairnError('INVALID_ARGUMENT', 'An empty password is not allowed.')
  return answers
}

function vaultOf(
  values: { vault?: string | undefined; id?: string | undefined },
  settings: BackupSettings | null,
): { url: string; id: string } {
  const url = values.vault ?? settings?.vault?.url
  const id = values.id ?? settings?.vault?.recordId
  if (!url || !id)
    throw new UsageError('this profile has no vault record: give --vault URL and --id ID')
  return { url, id }
}

async function register(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...common,
    'max-guesses': { type: 'string', default: '10' },
    'key-file': { type: 'string' },
    sheet: { type: 'string' },
  })
  if (!values.vault) throw new UsageError('give the vault address with --vault URL')
  const maxGuesses = Number(values['max-guesses'])
  if (!Number.isInteger(maxGuesses) || maxGuesses < 1 || maxGuesses > 10)
    throw new UsageError('--max-guesses is a whole number from 1 to 10')
  return withCliProfile(values, context, async (profile) => {
    const settings = readBackupSettings(profile)
    if (values.sheet) checkRecoverySheetPath(values.sheet)
    let key: BackupKey | null = values['key-file']
      ? readOneKey(values['key-file'], warnOn(context))
      : null
    if (!key && settings) key = loadKeyFromKeychain(osKeychain(), settings.fingerprint)
    if (!key) {
      throw new CairnError(
        'KEY_MISSING',
        settings
          ? `The backup key (fingerprint ${settings.fingerprint}) is not in the keychain; give it with --key-file.`
          : 'This profile has no backup key yet: create one (cairn key create) or give it with --key-file.',
      )
    }
    const client = clientFor(values.vault as string, values, context)
    const [password] = await passwords(values, ['New vault password'], true)
    const recordId = await client.register(password as string, key.secret, maxGuesses)
    setBackupKey(profile, key, 'vault', { url: values.vault as string, recordId })
    if (values.sheet)
      writeRecoverySheet(
        values.sheet,
        recoverySheet(key, {
          createdAt: new Date(),
          vaultId: recordId,
          vaultUrl: values.vault as string,
        }),
      )
    const replaced = settings?.vault?.recordId ?? null
    if (values.json)
      writeJson(context, {
        recordId,
        vault: values.vault,
        fingerprint: key.fingerprint,
        maxGuesses,
        replaced,
      })
    else {
      context.stdout.write(
        `The backup key ${key.fingerprint} is now kept behind your password in the vault.\n` +
          `Vault record: ${recordId}\nWrite this id on your recovery sheet: with it and the password, \`cairn vault recover\` brings the key back.\n` +
          (replaced && replaced !== recordId
            ? `It replaces the record ${replaced} in this profile: a recovery sheet naming that one no longer works.\n`
            : ''),
      )
    }
    return 0
  })
}

async function recover(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...common,
    id: { type: 'string' },
    print: { type: 'boolean', default: false },
  })
  if (!values.vault || !values.id)
    throw new UsageError('give --vault URL and --id ID (from your recovery sheet)')
  const client = clientFor(values.vault, values, context)
  const [password] = await passwords(values, ['Vault password'], false)
  const key = backupKeyFromSecret(await client.recover(values.id, password as string))
  if (values.print) {
    context.stdout.write(
      values.json
        ? `${JSON.stringify({ fingerprint: key.fingerprint, key: formatKeyHex(key.secret) })}\n`
        : `${formatKeyHex(key.secret)}\n`,
    )
    return 0
  }
  return withCliProfile(values, context, async (profile) => {
    saveKeyToKeychain(osKeychain(), key)
    setBackupKey(profile, key, 'vault', {
      url: values.vault as string,
      recordId: values.id as string,
    })
    if (values.json)
      writeJson(context, { fingerprint: key.fingerprint, custody: 'vault', keychain: true })
    else
      context.stdout.write(
        `Recovered backup key ${key.fingerprint}; it is in the system keychain, so \`cairn restore\` can use it.\n`,
      )
    return 0
  })
}

async function status(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...common,
    id: { type: 'string' },
    'key-file': { type: 'string' },
  })
  return withCliProfile(values, context, async (profile) => {
    const settings = readBackupSettings(profile)
    const key = values['key-file'] ? readOneKey(values['key-file'], warnOn(context)) : null
    let record = vaultRecordOf(settings)
    if (values.vault || values.id) {
      const { url, id } = vaultOf(values, settings)
      const fingerprint = key?.fingerprint ?? settings?.fingerprint
      if (!fingerprint)
        throw new UsageError('give the backup key with --key-file (this profile has none)')
      record = { url, recordId: id, fingerprint }
    }
    const found = await checkVaultRecord({
      record,
      keychain: osKeychain(),
      key,
      clientOptions: connection(values, context),
    })
    if (values.json) writeJson(context, found)
    else context.stdout.write(`${found.message}\n`)
    return found.state === 'ok' || found.state === 'guessed' ? 0 : 1
  })
}

async function verify(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { ...common, id: { type: 'string' } })
  return withCliProfile(values, context, async (profile) => {
    const settings = readBackupSettings(profile)
    const { url, id } = vaultOf(values, settings)
    const client = clientFor(url, values, context)
    const [password] = await passwords(values, ['Vault password'], false)
    const key = backupKeyFromSecret(await client.recover(id, password as string))
    if (settings && settings.fingerprint !== key.fingerprint) {
      throw new CairnError(
        'KEY_MISMATCH',
        `The password works, but vault record ${id} holds the backup key ${key.fingerprint}, not this profile's (${settings.fingerprint}). Register this profile's key again (cairn vault register).`,
      )
    }
    if (values.json) writeJson(context, { recordId: id, fingerprint: key.fingerprint, ok: true })
    else
      context.stdout.write(
        `Your vault password works (record ${id}, key ${key.fingerprint}); its wrong-password count is back to zero.\n`,
      )
    return 0
  })
}

async function passwd(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { ...common, id: { type: 'string' } })
  return withCliProfile(values, context, async (profile) => {
    const { url, id } = vaultOf(values, readBackupSettings(profile))
    const client = clientFor(url, values, context)
    const [oldPassword, newPassword] = await passwords(
      values,
      ['Current vault password', 'New vault password'],
      true,
    )
    await client.changePassword(id, oldPassword as string, newPassword as string)
    context.stdout.write('The vault password was changed.\n')
    return 0
  })
}

async function remove(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { ...common, id: { type: 'string' } })
  return withCliProfile(values, context, async (profile) => {
    const settings = readBackupSettings(profile)
    const { url, id } = vaultOf(values, settings)
    const client = clientFor(url, values, context)
    const [password] = await passwords(values, ['Vault password'], false)
    await client.delete(id, password as string)
    if (settings?.vault?.recordId === id)
      writeBackupSettings(profile, (s) => s && { ...s, vault: null })
    context.stdout.write(`Vault record ${id} was deleted.\n`)
    return 0
  })
}
