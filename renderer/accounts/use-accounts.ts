import { useEffect, useMemo, useState } from 'react'
import type { AccountSummary } from '../../main/ipc/contract'
import type { AccountState } from '../../main/mail/sync/account-state'
import { call, on } from '../api'
import { useQuery, type Query } from '../use-query'
import { mergeStates } from './account-status'

/**
 * The mail accounts with their live sync state: the list, kept current by
 * the state events (every state change is one, in order, so the newest
 * event of an account is never older than a list read before or after it).
 */
export function useAccounts(): Query<AccountSummary[]> {
  const query = useQuery('accounts', () => call('accounts.list', {}))
  const { reload, value } = query
  const [latest, setLatest] = useState<ReadonlyMap<number, AccountState>>(new Map())

  useEffect(() => {
    // An account whose settings changed gets a fresh sync engine (and a removed id may come back):
    // its old states no longer apply, the reloaded list has the current one.
    const offChanged = on('accounts.changed', ({ accountIds }) => {
      setLatest((previous) => {
        const next = new Map(previous)
        for (const id of accountIds) next.delete(id)
        return next
      })
      reload()
    })
    const offState = on('accounts.state', (state) =>
      setLatest((previous) => new Map(previous).set(state.accountId, state)),
    )
    return () => {
      offChanged()
      offState()
    }
  }, [reload])

  const merged = useMemo(() => (value ? mergeStates(value, latest) : undefined), [value, latest])
  return { ...query, value: merged }
}
