/**
 * The renderer's `call` and `on` are typed from the service declarations
 * alone: these lines are checked by `npm run typecheck` (a wrong name,
 * input or payload use does not compile), and run against a stand-in bridge.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { CairnBridge, Envelope } from '../../main/ipc/bridge'
import type {
  BackupStatus,
  EventName,
  EventPayloads,
  Method,
  MethodInput,
  MethodOutput,
  MessageView,
} from '../../main/ipc/contract'
import { call, CallError, on, setBridge } from '../../renderer/api'

describe('the typed contract', () => {
  it('names every method and event of every service, with their types', () => {
    expectTypeOf<Method>().toEqualTypeOf<
      | 'app.info'
      | 'app.pickImportSources'
      | 'app.pickBackupLocation'
      | 'app.openComposeWindow'
      | 'mail.overview'
      | 'mail.folders'
      | 'mail.list'
      | 'mail.search'
      | 'mail.get'
      | 'mail.setSeen'
      | 'mail.searchPage'
      | 'mail.sorted'
      | 'mail.threads'
      | 'mail.thread'
      | 'mail.contacts'
      | 'mail.source'
      | 'mail.setFlags'
      | 'mail.move'
      | 'mail.delete'
      | 'mail.archive'
      | 'mail.junk'
      | 'mail.undo'
      | 'mail.folder.create'
      | 'mail.folder.rename'
      | 'mail.folder.moveInto'
      | 'mail.folder.delete'
      | 'mail.attachment.save'
      | 'mail.attachment.open'
      | 'mail.import.start'
      | 'mail.import.cancel'
      | 'backup.status'
      | 'backup.runNow'
      | 'backup.cancel'
      | 'backup.settings'
      | 'backup.checkDestination'
      | 'backup.configure'
      | 'backup.history'
      | 'backup.verify'
      | 'backup.delete'
      | 'backupKey.view'
      | 'backupKey.createInKeychain'
      | 'backupKey.reveal'
      | 'backupKey.confirmWrittenDown'
      | 'backupKey.cancelReveal'
      | 'backupKey.setUpVault'
      | 'backupKey.sheet'
      | 'restore.find'
      | 'restore.start'
      | 'restore.execute'
      | 'restore.discard'
      | 'chat.accounts'
      | 'chat.account.add'
      | 'chat.account.update'
      | 'chat.account.remove'
      | 'chat.account.reconnect'
      | 'chat.chats'
      | 'chat.contacts'
      | 'chat.presence'
      | 'chat.open'
      | 'chat.history'
      | 'chat.text'
      | 'chat.send'
      | 'chat.markRead'
      | 'chat.typing'
      | 'chat.loadOlder'
      | 'chat.file.pick'
      | 'chat.file.begin'
      | 'chat.file.chunk'
      | 'chat.file.cancel'
      | 'chat.file.send'
      | 'chat.attachment.download'
      | 'chat.attachment.save'
      | 'chat.contact.add'
      | 'chat.subscription.answer'
      | 'chat.room.join'
      | 'chat.room.leave'
      | 'chat.room.nick'
      | 'chat.room.occupants'
      | 'chat.notify'
      | 'search.all'
      | 'accounts.list'
      | 'accounts.discover'
      | 'accounts.add'
      | 'accounts.oauth.start'
      | 'accounts.oauth.finish'
      | 'accounts.oauth.cancel'
      | 'accounts.setPassword'
      | 'accounts.trustCertificate'
      | 'accounts.syncNow'
      | 'accounts.viewFolder'
      | 'accounts.remove'
      | 'backup.destinationKinds'
      | 'backup.testConnection'
      | 'backup.addDestination'
      | 'backup.removeDestination'
      | 'compose.identities'
      | 'compose.setSignature'
      | 'compose.start'
      | 'compose.editDraft'
      | 'compose.get'
      | 'compose.list'
      | 'compose.save'
      | 'compose.upload.begin'
      | 'compose.upload.chunk'
      | 'compose.upload.finish'
      | 'compose.upload.cancel'
      | 'compose.removeAttachment'
      | 'compose.send'
      | 'compose.discard'
      | 'outbox.list'
      | 'outbox.sendNow'
      | 'outbox.remove'
    >()
    expectTypeOf<EventName>().toEqualTypeOf<
      | 'app.command'
      | 'mail.import.progress'
      | 'mail.import.finished'
      | 'mail.changed'
      | 'backup.started'
      | 'backup.progress'
      | 'backup.finished'
      | 'backup.changed'
      | 'backup.notices'
      | 'restore.progress'
      | 'restore.finished'
      | 'chat.state'
      | 'chat.message'
      | 'chat.messageState'
      | 'chat.typing'
      | 'chat.presence'
      | 'chat.subscriptionRequest'
      | 'chat.roster'
      | 'chat.archiveProgress'
      | 'chat.synced'
      | 'chat.attachment'
      | 'chat.room'
      | 'chat.accounts'
      | 'accounts.state'
      | 'accounts.changed'
      | 'compose.draftSaved'
      | 'outbox.changed'
    >()
    expectTypeOf<MethodInput<'mail.get'>>().toEqualTypeOf<{ id: number }>()
    expectTypeOf<MethodOutput<'mail.get'>>().toEqualTypeOf<MessageView>()
    expectTypeOf<MethodOutput<'backup.status'>>().toEqualTypeOf<BackupStatus>()
    expectTypeOf<EventPayloads['backup.progress']>().toEqualTypeOf<{
      phase: 'snapshot' | 'writing'
      bytesDone: number
      bytesTotal: number
    }>()
  })

  it("types the renderer's call and on, and turns error envelopes into CallErrors", async () => {
    const sent: unknown[] = []
    const bridge: CairnBridge = {
      invoke: (method, input) => {
        sent.push([method, input])
        return Promise.resolve(
          (method === 'backup.runNow'
            ? { ok: false, error: { code: 'BACKUP_BUSY', message: 'busy' } }
            : { ok: true, value: { messageCount: 2 } }) as Envelope<never>,
        )
      },
      on: () => () => undefined,
    }
    setBridge(bridge)
    const overview = await call('mail.overview', {})
    expectTypeOf(overview).toEqualTypeOf<{ messageCount: number }>()
    expect(overview.messageCount).toBe(2)
    await expect(call('backup.runNow', {})).rejects.toEqual(new CallError('BACKUP_BUSY', 'busy'))
    expect(sent).toEqual([
      ['mail.overview', {}],
      ['backup.runNow', {}],
    ])
    const off = on('backup.progress', (p) => expectTypeOf(p.bytesDone).toEqualTypeOf<number>())
    off()

    if (sent.length < 0) {
      // Compile-time only: each of these is a type error.
      // @ts-expect-error -- no such method
      await call('mail.deleteEverything', {})
      // @ts-expect-error -- id is a number
      await call('mail.get', { id: '1' })
      // @ts-expect-error -- no such event
      on('mail.nothing', () => undefined)
      // @ts-expect-error -- the payload has no such field
      on('backup.finished', (p) => p.bytesDone)
    }
  })
})
