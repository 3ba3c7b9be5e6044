import { writeFileSync } from 'node:fs'
import type { RecoverySheet } from '../backup/key/recovery-sheet.js'

/** Write the recovery sheet: plain text for a .txt name, else a printable HTML page. Readable by the owner only. */
export function writeRecoverySheet(path: string, sheet: RecoverySheet): void {
  writeFileSync(path, path.toLowerCase().endsWith('.txt') ? sheet.text : sheet.html, {
    mode: 0o600,
  })
}
