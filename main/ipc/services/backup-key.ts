/**
 * The backup key's custody, for the settings screen: where it is kept (the
 * OS keychain, written down, behind a vault password), shown once as 64
 * digits to write down and confirmed by typing some back, its recovery
 * sheet, and a new key. The secret reaches the renderer only to be written
 * down (reveal, and the sheet); it never comes back except as the digits
 * asked for.
 */
import { z } from 'zod'
import type { KeyView, RevealedKey } from '../../backup/manager/key-custody.js'
import type { RecoverySheetContent } from '../../backup/key/recovery-sheet.js'
import { defineService, method, returns } from '../define.js'
import { confirmKeyDisclosure, keyDisclosure } from '../key-disclosure.js'

export type { KeyView, RecoverySheetContent, RevealedKey }

const none = z.object({}).strict()
const pendingId = z.string().uuid()

export const backupKeyService = defineService({
  methods: {
    view: method({
      input: none,
      output: returns<KeyView>(),
      handle: (ctx) => ctx.backupManager.keys.view(ctx.backupManager.vaultStatus()),
    }),
    /** A new key kept in the OS keychain (the default); older backups keep needing the old one. */
    createInKeychain: method({
      input: none,
      output: returns<{ fingerprint: string }>(),
      handle: (ctx) => {
        const created = ctx.backupManager.keys.createInKeychain()
        ctx.backupManager.keyChanged()
        return created
      },
    }),
    /** Show a key to write down: a new one (saved only once confirmed) or the current one. */
    reveal: method({
      input: z.object({ newKey: z.boolean() }).strict(),
      output: returns<RevealedKey>(),
      handle: async (ctx, { newKey }) => {
        await confirmKeyDisclosure(ctx, keyDisclosure({ kind: 'show', newKey }))
        return ctx.backupManager.keys.reveal({ newKey })
      },
    }),
    confirmWrittenDown: method({
      input: z
        .object({
          pendingId,
          answers: z.array(z.string().max(20)).min(1).max(16),
          keepInKeychain: z.boolean(),
        })
        .strict(),
      output: returns<{ fingerprint: string; custody: 'keychain' | 'user' | 'vault' }>(),
      handle: (ctx, input) => {
        const done = ctx.backupManager.keys.confirmWrittenDown(input)
        ctx.backupManager.keyChanged()
        return done
      },
    }),
    cancelReveal: method({
      input: z.object({ pendingId }).strict(),
      output: returns<null>(),
      handle: (ctx, { pendingId }) => {
        ctx.backupManager.keys.cancel(pendingId)
        return null
      },
    }),
    /** Keep the key (the current one, or a new one) behind a password in the Backup Key Vault. */
    setUpVault: method({
      input: z
        .object({
          url: z.string().min(1).max(2048),
          password: z.string().min(1).max(1024),
          newKey: z.boolean(),
        })
        .strict(),
      output: returns<{ recordId: string; fingerprint: string; sheet: RecoverySheetContent }>(),
      handle: async (ctx, input) => {
        await confirmKeyDisclosure(ctx, keyDisclosure({ kind: 'vault', url: input.url }))
        const done = await ctx.backupManager.keys.setUpVault(input)
        ctx.backupManager.keyChanged()
        return done
      },
    }),
    /** The current key's recovery sheet (from the keychain), to print again. */
    sheet: method({
      input: none,
      output: returns<RecoverySheetContent>(),
      handle: async (ctx) => {
        await confirmKeyDisclosure(ctx, keyDisclosure({ kind: 'sheet' }))
        return ctx.backupManager.keys.sheet()
      },
    }),
  },
  events: {},
})
