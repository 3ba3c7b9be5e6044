import type { Statement } from 'better-sqlite3'

/** `n` rows of `columns` placeholders each, for VALUES: `(?, ?), (?, ?)`. */
export function placeholderRows(n: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`
  return Array.from({ length: n }, () => row).join(', ')
}

/**
 * A statement that takes many rows at once (a multi-row INSERT, an
 * `UPDATE … FROM (VALUES …)`), prepared once per row count. A batch is cut
 * into slices whose sizes are powers of two up to `max`, so at most
 * log2(max) + 1 sizes are ever prepared. Such statements exist because
 * FTS5 writes a new index segment at every statement that opens a
 * statement journal: one statement per message meant a segment per message.
 */
export function rowsPerStatement(prepare: (rows: number) => Statement, max: number) {
  const bySize = new Map<number, Statement>()
  return {
    /** `run` once per slice of `items`, in order, with the statement for that slice's size. */
    forEachSlice<T>(
      items: readonly T[],
      run: (statement: Statement, slice: readonly T[]) => void,
    ): void {
      for (let at = 0; at < items.length;) {
        let n = max
        while (n > items.length - at) n >>= 1
        let statement = bySize.get(n)
        if (!statement) bySize.set(n, (statement = prepare(n)))
        run(statement, items.slice(at, at + n))
        at += n
      }
    },
  }
}
