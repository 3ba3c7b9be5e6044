import { useEffect, useMemo, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import type { AccountState } from '../../main/mail/sync/account-state'
import { call, on } from '../api'
import { useQuery, type Query } from '../use-query'
import { mergeStates } from './account-status'

/** The mail accounts with their live sync state: the list, kept current by the state events. */
export function useAccounts(): Query<AccountSummary[]> {
  const query = useQuery('accounts', () => call('accounts.list', {}))
  const { reload, value } = query
  const [latest, setLatest] = useState<ReadonlyMap<number, AccountState>>(new Map())

  useEffect(() => {
    const offChanged = on('accounts.changed', reload)
    const offState = on('accounts.state', (state) =>
      setLatest((previous) => new Map(previous).set(state.accountId, state)),
    )
    return () => {
      offChanged()
      offState()
    }
  }, [reload])
  // A fresh list already holds the newest states.
  useEffect(() => setLatest(new Map()), [value])

  const merged = useMemo(() => (value ? mergeStates(value, latest) : undefined), [value, latest])
  return { ...query, value: merged }
}
