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

/**
 * UIDs a server reported expunged (VANISHED), kept as ranges. imapflow hands
 * them over one at a time, each range walked UID by UID, and a single
 * "1:4294967295" is a few bytes on the wire: as a Set of its 16 million UIDs
 * (imapflow's cap) it took over 600 MB and 20 s of the main thread, then a
 * store lookup each.
 */
export class UidRanges {
  private ranges: [number, number][] = []

  add(uid: number): void {
    const last = this.ranges[this.ranges.length - 1]
    if (last && uid >= last[0] && uid <= last[1] + 1) last[1] = Math.max(last[1], uid)
    else this.ranges.push([uid, uid])
  }

  clear(): void {
    this.ranges = []
  }

  get empty(): boolean {
    return this.ranges.length === 0
  }

  /** Those of `uids` the ranges cover: the work follows the folder's size, not the server's claim. */
  covered(uids: readonly number[]): number[] {
    const merged: [number, number][] = []
    for (const [from, to] of [...this.ranges].sort((a, b) => a[0] - b[0])) {
      const last = merged[merged.length - 1]
      if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to)
      else merged.push([from, to])
    }
    return uids.filter((uid) => {
      let lo = 0
      let hi = merged.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        const [from, to] = merged[mid]!
        if (uid < from) hi = mid - 1
        else if (uid > to) lo = mid + 1
        else return true
      }
      return false
    })
  }
}
