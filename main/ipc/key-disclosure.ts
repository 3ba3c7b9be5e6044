import { CairnError } from '../shared/errors.js'
import type { KeyDisclosure, ServiceContext } from './context.js'

/** The question asked before each way the backup key can leave main. */
export function keyDisclosure(
  action: { kind: 'show'; newKey: boolean } | { kind: 'sheet' } | { kind: 'vault'; url: string },
): KeyDisclosure {
  switch (action.kind) {
    case 'show':
      return action.newKey
        ? {
            kind: 'show',
            title: 'Show a new backup key to write down?',
            detail:
              'Cairn will show a new backup key. Once you confirm you wrote it down, new backups use it. Only go ahead if you asked for this in Cairn just now.',
            confirmLabel: 'Show the new key',
          }
        : {
            kind: 'show',
            title: 'Show your backup key?',
            detail:
              'Anyone who sees this key and has a copy of your backups can read all your mail. Only go ahead if you asked for this in Cairn just now.',
            confirmLabel: 'Show the key',
          }
    case 'sheet':
      return {
        kind: 'sheet',
        title: 'Show the recovery sheet?',
        detail:
          'The recovery sheet holds your backup key. Anyone who sees it and has a copy of your backups can read all your mail. Only go ahead if you asked for this in Cairn just now.',
        confirmLabel: 'Show the sheet',
      }
    case 'vault':
      return {
        kind: 'vault',
        title: 'Keep your backup key in a vault?',
        detail: `Your backup key will be kept, locked by your password, by the vault at ${action.url}. Only go ahead if you know this address and asked for this in Cairn just now.`,
        confirmLabel: 'Use this vault',
      }
  }
}

/**
 * Go ahead only once the user has said yes in the host's own dialog (where
 * the host has one): the renderer's word is not enough for the key to leave
 * main. Throws KEY_NOT_CONFIRMED otherwise; nothing has been shown or sent.
 */
export async function confirmKeyDisclosure(
  ctx: Pick<ServiceContext, 'host'>,
  request: KeyDisclosure,
): Promise<void> {
  const ask = ctx.host.confirmKeyDisclosure
  if (!ask) return
  if (await ask(request)) return
  throw new CairnError(
    'KEY_NOT_CONFIRMED',
    'The backup key was not shown or sent: it was not confirmed in Cairn’s own dialog.',
  )
}
