import type { EverythingCount } from '../../main/mail/read/search-everything'

const number = new Intl.NumberFormat()

/** "1 result", "1,234 results", "More than 10,000 results". */
export function countLabel(count: EverythingCount): string {
  if (!count.exact) return `More than ${number.format(count.value)} results`
  return count.value === 1 ? '1 result' : `${number.format(count.value)} results`
}

/**
 * Below the search results: how many the search found in all, how many are
 * shown, and "Show more" for the next page (a plain button: Tab reaches it,
 * Enter or Space presses it, and it keeps the focus for the page after).
 */
export function SearchMore({
  paging,
}: {
  paging: {
    count: EverythingCount | null
    problems: readonly string[]
    shown: number
    more: boolean
    loadingMore: boolean
    error: string | null
    showMore(): void
  }
}) {
  const { count, problems, shown, more, loadingMore, error, showMore } = paging
  if (count === null && problems.length === 0 && error === null) return null
  return (
    <div className="search-more">
      <span className="search-count" role="status" aria-live="polite">
        {count !== null &&
          (more || shown < count.value
            ? `${countLabel(count)}, showing ${number.format(shown)}`
            : countLabel(count))}
        {problems.map((problem) => (
          <span key={problem} className="search-problem">
            {' '}
            {problem}
          </span>
        ))}
        {error !== null && shown > 0 && <span className="search-problem"> {error}</span>}
      </span>
      {more && (
        <button
          type="button"
          className="small"
          onClick={showMore}
          aria-disabled={loadingMore}
          aria-label={loadingMore ? 'Loading more results' : 'Show more results'}
        >
          {loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
    </div>
  )
}
