/**
 * Mail accounts: setting one up (lookup, manual settings, an untrusted
 * certificate shown for the user to accept, OAuth2 sign-in), the list with
 * each account's sync state, and what the user does about a bad state
 * (new password, trust a changed certificate, sync now, remove).
 */
import { z } from 'zod'
import type { AccountView } from '../../mail/accounts/account-service.js'
import type { SetupResult, SetupSettings } from '../../mail/accounts/account-setup.js'
import type { AccountState } from '../../mail/sync/account-state.js'
import { defineService, event, method, returns } from '../define.js'

const none = z.object({}).strict()
const accountId = z.number().int().positive()
const email = z.string().trim().min(3).max(320)
const server = z
  .object({
    host: z.string().trim().min(1).max(253),
    port: z.number().int().min(1).max(65535),
    security: z.enum(['tls', 'starttls', 'plain']),
    username: z.string().min(1).max(320),
  })
  .strict()
const fingerprint = z
  .string()
  .max(200)
  .regex(/^[0-9A-Fa-f:]+$/)
const name = z.string().max(200).optional()
const trust = z.object({ imap: fingerprint.optional(), smtp: fingerprint.optional() }).strict()

/** An account as the folder tree and the accounts screen show it. */
export interface AccountSummary extends AccountView {
  state: AccountState
}

export const accountsService = defineService({
  methods: {
    list: method({
      input: none,
      output: returns<AccountSummary[]>(),
      handle: (ctx) => {
        const states = new Map(ctx.mailAccounts.sync.states().map((s) => [s.accountId, s]))
        return ctx.mailAccounts.accounts.list().map((account) => ({
          ...account,
          state: states.get(account.id) ?? {
            accountId: account.id,
            status: 'syncing',
            message: null,
            lastSyncAt: null,
            retryAt: null,
          },
        }))
      },
    }),
    discover: method({
      input: z.object({ email }).strict(),
      output: returns<SetupSettings>(),
      handle: (ctx, { email }) => ctx.accountSetup.discover(email),
    }),
    add: method({
      input: z
        .object({
          email,
          name,
          password: z.string().min(1).max(1000),
          imap: server,
          smtp: server,
          allowPlaintext: z.boolean().optional(),
          trust,
          confirmedHosts: z.array(z.string().trim().min(1).max(253)).max(2).optional(),
        })
        .strict(),
      output: returns<SetupResult>(),
      handle: (ctx, input) => ctx.accountSetup.add(input),
    }),
    'oauth.start': method({
      input: z.object({ email, imapHost: z.string().min(1).max(253) }).strict(),
      output: returns<{ signInId: string; url: string }>(),
      handle: (ctx, { email, imapHost }) => ctx.accountSetup.oauth.start(email, imapHost),
    }),
    'oauth.finish': method({
      input: z
        .object({
          signInId: z.string().uuid(),
          email,
          name,
          imap: server,
          smtp: server,
          trust,
        })
        .strict(),
      output: returns<SetupResult>(),
      handle: (ctx, { signInId, ...input }) => ctx.accountSetup.oauth.finish(signInId, input),
    }),
    'oauth.cancel': method({
      input: z.object({ signInId: z.string().uuid() }).strict(),
      output: returns<null>(),
      handle: (ctx, { signInId }) => {
        ctx.accountSetup.oauth.cancel(signInId)
        return null
      },
    }),
    setPassword: method({
      input: z.object({ accountId, password: z.string().min(1).max(1000) }).strict(),
      output: returns<null>(),
      handle: (ctx, { accountId, password }) => {
        ctx.mailAccounts.accounts.setPassword(accountId, password)
        return null
      },
    }),
    trustCertificate: method({
      input: z
        .object({ accountId, which: z.enum(['imap', 'smtp']), fingerprint256: fingerprint })
        .strict(),
      output: returns<null>(),
      handle: async (ctx, { accountId, which, fingerprint256 }) => {
        await ctx.mailAccounts.accounts.trustCertificate(accountId, which, fingerprint256)
        return null
      },
    }),
    syncNow: method({
      input: z.object({ accountId }).strict(),
      output: returns<null>(),
      handle: (ctx, { accountId }) => {
        // The state events tell how it went; the call returns at once.
        ctx.mailAccounts.sync.syncOnce(accountId).catch(() => undefined)
        return null
      },
    }),
    viewFolder: method({
      input: z.object({ folderId: z.number().int().positive().nullable() }).strict(),
      output: returns<null>(),
      handle: (ctx, { folderId }) => {
        ctx.mailAccounts.sync.viewFolder(folderId)
        return null
      },
    }),
    remove: method({
      input: z.object({ accountId }).strict(),
      output: returns<null>(),
      handle: async (ctx, { accountId }) => {
        await ctx.mailAccounts.sync.reset(accountId)
        ctx.mailAccounts.accounts.remove(accountId)
        return null
      },
    }),
  },
  events: {
    state: event<AccountState>((ctx, emit) =>
      ctx.mailAccounts.sync.events.on('accountState', emit),
    ),
    changed: event<{ accountIds: number[] }>((ctx, emit) =>
      ctx.mailAccounts.accounts.events.on('accountsChanged', emit),
    ),
  },
})
