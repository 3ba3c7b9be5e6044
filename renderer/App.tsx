import { useCallback, useEffect, useState } from 'react'
import { call, on } from './api'
import { useAccounts } from './accounts/use-accounts'
import { AccountsDialog } from './components/AccountsDialog'
import { BackupFrame } from './components/backup/BackupFrame'
import { ChatNotices } from './components/chat/ChatNotices'
import { ChatView, type ChatTarget } from './components/chat/ChatView'
import { FirstRun } from './components/FirstRun'
import { ImportDialog } from './components/ImportDialog'
import { MailView, type MailTarget } from './components/MailView'
import { ErrorState, Loading } from './components/States'
import { ViewSwitch, type View } from './components/ViewSwitch'
import { useQuery } from './use-query'

export function App() {
  const [importing, setImporting] = useState(false)
  const [view, setView] = useState<View>('mail')
  // The chat view is kept once opened (hidden, not unmounted), like the mail view.
  const [chatOpened, setChatOpened] = useState(false)
  const [chatTarget, setChatTarget] = useState<ChatTarget | null>(null)
  const [mailTarget, setMailTarget] = useState<MailTarget | null>(null)
  const [accountsOpen, setAccountsOpen] = useState<'list' | 'add' | null>(null)
  const info = useQuery('info', () => call('app.info', {}))
  const overview = useQuery('overview', () => call('mail.overview', {}))
  const { reload: reloadOverview } = overview
  const accounts = useAccounts()

  const show = useCallback((next: View) => {
    setView(next)
    if (next === 'chat') setChatOpened(true)
  }, [])
  const openChat = useCallback(
    (chatId: number, messageId: number | null) => {
      show('chat')
      setChatTarget({ chatId, messageId, nonce: Date.now() })
    },
    [show],
  )

  useEffect(() => {
    const offChanged = on('mail.changed', reloadOverview)
    const offCommand = on('app.command', (command) => {
      if (command.command === 'import-mail') setImporting(true)
      else if (command.command === 'open-chat') openChat(command.chatId, null)
      else if (command.command === 'open-outbox') show('mail')
    })
    return () => {
      offChanged()
      offCommand()
    }
  }, [reloadOverview, openChat, show])

  const error = info.error ?? (overview.value === undefined ? overview.error : null)
  if (error)
    return (
      <ErrorState
        message={error}
        onRetry={() => {
          info.reload()
          overview.reload()
        }}
      />
    )
  if (!info.value || !overview.value || !accounts.value)
    return <Loading label="Opening your mailbox…" />
  return (
    <BackupFrame info={info.value}>
      {({ openRestore }) => (
        <div className="app-shell">
          <ViewSwitch view={view} onChange={show} />
          <div className="app-view" hidden={view !== 'mail'}>
            {overview.value?.messageCount === 0 && accounts.value?.length === 0 ? (
              <FirstRun
                onImport={() => setImporting(true)}
                onAddAccount={() => setAccountsOpen('add')}
                onRestore={() => openRestore()}
              />
            ) : (
              <MailView
                accounts={accounts.value ?? []}
                onImport={() => setImporting(true)}
                onAccounts={() => setAccountsOpen('list')}
                nativeFiles={info.value?.capabilities.nativeDialogs ?? false}
                composeWindows={info.value?.capabilities.composeWindows ?? false}
                onOpenChat={(chatId, messageId) => openChat(chatId, messageId)}
                target={mailTarget}
              />
            )}
          </div>
          {chatOpened && info.value && (
            <div className="app-view" hidden={view !== 'chat'}>
              <ChatView
                info={info.value}
                target={chatTarget}
                active={view === 'chat'}
                onOpenMail={(messageId, query) => {
                  setMailTarget({ messageId, query, nonce: Date.now() })
                  show('mail')
                }}
              />
            </div>
          )}
          <ChatNotices onOpen={(chatId) => openChat(chatId, null)} />
          {importing && info.value && (
            <ImportDialog info={info.value} onClose={() => setImporting(false)} />
          )}
          {accountsOpen && (
            <AccountsDialog
              accounts={accounts.value ?? []}
              startAdding={accountsOpen === 'add'}
              onClose={() => setAccountsOpen(null)}
            />
          )}
        </div>
      )}
    </BackupFrame>
  )
}
