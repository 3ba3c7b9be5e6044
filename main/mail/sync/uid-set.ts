/** A sorted list of UIDs as a compact IMAP sequence set ("1:5,9,12:14"). */
export function toUidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b)
  const parts: string[] = []
  let start = sorted[0]
  let prev = start
  for (let i = 1; i <= sorted.length; i++) {
    const uid = sorted[i]
    if (uid !== undefined && prev !== undefined && uid === prev + 1) {
      prev = uid
      continue
    }
    if (start !== undefined && prev !== undefined)
      parts.push(start === prev ? `${start}` : `${start}:${prev}`)
    start = uid
    prev = uid
  }
  return parts.join(',')
}

/** Split UIDs, newest first, into chunks: a small first one (the first screen), then larger ones. */
export function newestFirstChunks(
  uids: readonly number[],
  first: number,
  rest: number,
): number[][] {
  const sorted = [...uids].sort((a, b) => b - a)
  const chunks: number[][] = []
  let index = 0
  let size = first
  while (index < sorted.length) {
    chunks.push(sorted.slice(index, index + size))
    index += size
    size = rest
  }
  return chunks
}
