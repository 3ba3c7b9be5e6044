/**
 * A one-line progress bar on a terminal, redrawn at most ten times a second;
 * silent when the output is not a terminal (logs and pipes get the result only).
 */
export function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
  let last = 0
  let drawn = false
  return {
    update(fraction: number, label: string) {
      if (!stream.isTTY) return
      const now = Date.now()
      if (now - last < 100 && fraction < 1) return
      last = now
      const width = 28
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
      const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label}`
      const columns = stream.columns ?? 100
      stream.write(
        `\r${text.slice(0, columns - 1).padEnd(Math.min(columns - 1, text.length))}\x1b[K`,
      )
      drawn = true
    },
    done() {
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}
