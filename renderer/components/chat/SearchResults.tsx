import { useState } from 'react'
import type { EverythingHit } from '../../../main/mail/read/search-everything'
import { visibleLine } from '../../chat/view-models'
import { formatDate } from '../../format'
import { useEverything } from '../../search/use-everything'
import { SearchMore } from '../SearchMore'
import { Empty, ErrorState, Loading } from '../States'
import { KeyedList } from './KeyedList'

const keyOf = (hit: EverythingHit) =>
  hit.kind === 'mail' ? `mail:${hit.mail.id}` : `chat:${hit.chat.messageId}`

/** The search box's answer in the chat view: chat and mail messages, newest first. */
export function SearchResults({
  query,
  onOpenChat,
  onOpenMail,
}: {
  query: string
  onOpenChat: (chatId: number, messageId: number) => void
  onOpenMail: (messageId: number) => void
}) {
  const result = useEverything(query)
  const [active, setActive] = useState<string | null>(null)
  const { hits } = result
  if (hits.length === 0)
    return result.error ? (
      <ErrorState message={result.error} />
    ) : result.loading ? (
      <Loading label="Searching…" />
    ) : (
      <Empty title="No messages match your search" />
    )
  return (
    <>
      <KeyedList
        items={hits}
        keyOf={keyOf}
        rowHeight={64}
        label="Search results"
        idPrefix="hit"
        activeKey={active}
        onActiveChange={setActive}
        onOpen={(hit) =>
          hit.kind === 'chat'
            ? onOpenChat(hit.chat.chatId, hit.chat.messageId)
            : onOpenMail(hit.mail.id)
        }
        renderRow={(hit) =>
          hit.kind === 'chat' ? (
            <div className="hit-row" data-kind="chat">
              <span className="row-line">
                <span className="ellipsis">
                  <span className="hit-kind">Chat</span>{' '}
                  <bdi>{visibleLine(hit.chat.chatName || hit.chat.peer)}</bdi>
                </span>
                <span className="row-date">{formatDate(hit.chat.sentAt)}</span>
              </span>
              <span className="row-snippet ellipsis">
                {hit.chat.direction === 'out' ? 'You' : visibleLine(hit.chat.sender)}:{' '}
                {visibleLine(hit.chat.snippet)}
              </span>
            </div>
          ) : (
            <div className="hit-row" data-kind="mail">
              <span className="row-line">
                <span className="ellipsis">
                  <span className="hit-kind mail">Mail</span>{' '}
                  <bdi>
                    {visibleLine(hit.mail.from.name || hit.mail.from.address || '(no sender)')}
                  </bdi>
                </span>
                <span className="row-date">{formatDate(hit.mail.date)}</span>
              </span>
              <span className="row-snippet ellipsis">
                {visibleLine(hit.mail.subject || '(no subject)')}
              </span>
            </div>
          )
        }
      />
      <SearchMore paging={{ ...result, shown: hits.length }} />
    </>
  )
}
