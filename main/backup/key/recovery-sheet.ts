import { formatKeyAge, formatKeyHex, type BackupKey } from './backup-key.js'

export interface RecoverySheet {
  text: string
  html: string
}

/**
 * A page to print and keep: the key, its fingerprint, the date, and the
 * exact commands that recover a backup with standard tools, without Cairn.
 */
export function recoverySheet(
  key: BackupKey,
  options: { createdAt: Date; vaultId?: string },
): RecoverySheet {
  const date = options.createdAt.toISOString().slice(0, 10)
  const hex = formatKeyHex(key.secret)
  const hexLines = [hex.slice(0, 39), hex.slice(40)]
  const age = formatKeyAge(key.secret)
  const commands = [
    `cat > key.txt <<'EOF'\n${age}\nEOF`,
    'age -d -i key.txt cairn-backup-YYYYMMDDTHHMMSSZ.tar.zst.age | zstd -d | tar -x -C restored',
  ]
  const text = [
    'CAIRN BACKUP KEY: RECOVERY SHEET',
    '',
    `Created: ${date}`,
    `Fingerprint: ${key.fingerprint}`,
    ...(options.vaultId ? [`Backup Key Vault record: ${options.vaultId}`] : []),
    '',
    'Backup key (64 hex digits):',
    ...hexLines.map((line) => `  ${line}`),
    '',
    'Anyone with this key can read your backups. Keep this sheet somewhere safe.',
    'To restore in Cairn: choose "Restore from a backup" and type the key.',
    '',
    'To recover a backup without Cairn (needs the age and zstd tools):',
    ...commands.map((command) => command.replace(/^/gm, '  ')),
    '',
  ].join('\n')

  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn backup key: recovery sheet</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;color:#111}
h1{font-size:1.4rem}.key{font:600 1.25rem/1.8 ui-monospace,monospace;letter-spacing:.05em;border:2px solid #111;padding:.75rem 1rem;border-radius:6px}
pre{background:#f4f4f4;padding:.75rem;border-radius:6px;white-space:pre-wrap;word-break:break-all}.warn{font-weight:600}
</style></head><body>
<h1>Cairn backup key: recovery sheet</h1>
<p>Created ${escape(date)} · Fingerprint <strong>${escape(key.fingerprint)}</strong>${
    options.vaultId ? ` · Backup Key Vault record <strong>${escape(options.vaultId)}</strong>` : ''
  }</p>
<div class="key">${hexLines.map(escape).join('<br>')}</div>
<p class="warn">Anyone with this key can read your backups. Keep this sheet somewhere safe.</p>
<p>To restore in Cairn: choose “Restore from a backup” and type the key.</p>
<p>To recover a backup without Cairn (needs the <code>age</code> and <code>zstd</code> tools):</p>
<pre>${commands.map(escape).join('\n')}</pre>
</body></html>
`
  return { text, html }
}
