/**
 * The restore wizard: find backups (the default folder first, the
 * profile's folder, the last ones used, or a file or folder the user
 * chose), open the key (the keychain, typed digits, the vault password),
 * plan (verify and unpack beside the profile; say what would be replaced
 * and what needs a yes), then carry it out: the app closes its services,
 * swaps the profile in and opens the restored one, without restarting.
 */
import { z } from 'zod'
import type {
  BackupCandidate,
  FoundBackups,
  PlanView,
  RestoreDone,
  RestoreEvents,
} from '../../backup/manager/restore-coordinator.js'
import { defineService, event, method, returns } from '../define.js'

export type { BackupCandidate, FoundBackups, PlanView, RestoreDone }

/** What the wizard shows about the profile a restore would replace, before any key is typed. */
export interface LiveProfileView {
  messages: number
  lastBackupAt: string | null
}

const path = z.string().min(1).max(4096)
const confirmation = z.enum([
  'metadata-mismatch',
  'older-than-newest-backup',
  'other-profile',
  'secrets-not-restorable',
])

export const restoreService = defineService({
  methods: {
    find: method({
      input: z.object({ chosen: path.optional() }).strict(),
      output: returns<FoundBackups & { live: LiveProfileView }>(),
      handle: async (ctx, { chosen }) => {
        const found = await ctx.restores.find(chosen)
        const status = ctx.backupActivity.status()
        return {
          ...found,
          live: {
            messages: (await ctx.mail.overview()).messageCount,
            lastBackupAt: status.lastSuccessAt,
          },
        }
      },
    }),
    /** Open the key and plan: nothing is changed yet. */
    start: method({
      input: z
        .object({
          path,
          key: z.discriminatedUnion('source', [
            z.object({ source: z.literal('keychain') }).strict(),
            z.object({ source: z.literal('digits'), text: z.string().max(300) }).strict(),
            z
              .object({
                source: z.literal('vault'),
                url: z.string().max(2048),
                password: z.string().min(1).max(1024),
                recordId: z.string().max(64).optional(),
              })
              .strict(),
          ]),
        })
        .strict(),
      output: returns<PlanView>(),
      handle: (ctx, { path, key }) => ctx.restores.start(path, key),
    }),
    /** Swap the planned backup in, with the confirmations the user gave. */
    execute: method({
      input: z.object({ confirm: z.array(confirmation).max(4) }).strict(),
      output: returns<RestoreDone>(),
      handle: (ctx, { confirm }) => ctx.restores.execute(confirm),
    }),
    discard: method({
      input: z.object({}).strict(),
      output: returns<null>(),
      handle: (ctx) => {
        ctx.restores.discard()
        return null
      },
    }),
  },
  events: {
    progress: event<RestoreEvents['progress']>((ctx, emit) =>
      ctx.restores.events.on('progress', emit),
    ),
    finished: event<RestoreEvents['finished']>((ctx, emit) =>
      ctx.restores.events.on('finished', emit),
    ),
  },
})
