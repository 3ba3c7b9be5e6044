import { useEffect, useState } from 'react'
import { call, on } from './api'
import { FirstRun } from './components/FirstRun'
import { ImportDialog } from './components/ImportDialog'
import { MailView } from './components/MailView'
import { ErrorState, Loading } from './components/States'
import { useQuery } from './use-query'

export function App() {
  const [importing, setImporting] = useState(false)
  const info = useQuery('info', () => call('app.info', {}))
  const overview = useQuery('overview', () => call('mail.overview', {}))
  const { reload: reloadOverview } = overview

  useEffect(() => {
    const offChanged = on('mail.changed', reloadOverview)
    const offCommand = on('app.command', ({ command }) => {
      if (command === 'import-mail') setImporting(true)
    })
    return () => {
      offChanged()
      offCommand()
    }
  }, [reloadOverview])

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
  if (!info.value || !overview.value) return <Loading label="Opening your mailbox…" />
  return (
    <>
      {overview.value.messageCount === 0 ? (
        <FirstRun onImport={() => setImporting(true)} />
      ) : (
        <MailView
          onImport={() => setImporting(true)}
          nativeFiles={info.value.capabilities.nativeDialogs}
        />
      )}
      {importing && <ImportDialog info={info.value} onClose={() => setImporting(false)} />}
    </>
  )
}
