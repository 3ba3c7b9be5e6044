import { restoreInCairnSteps } from '../../../common/backup-labels.js'
import { formatKeyAge, formatKeyHex, type BackupKey } from './backup-key.js'

export interface RecoverySheet {
  text: string
  html: string
}

/**
 * What a recovery sheet says, as data: the app shows it on screen (and
 * prints it), the CLI writes it as text or HTML. The commands are meant to
 * be typed as printed, in the folder that holds the backups; a test runs
 * them with the stock tools.
 */
export interface RecoverySheetContent {
  createdAt: string
  fingerprint: string
  /** 16 groups of 4 hex digits. */
  groups: string[]
  vault: { url: string | null; recordId: string } | null
  restoreInCairn: string[]
  /** Shell commands (POSIX sh), in order, run in the folder that holds the backups. */
  commands: string[]
}

/**
 * The newest backup may be a link of a chain (issue 14): the newest full
 * backup (its sidecar does not say "incremental") and every backup after it,
 * in name order (their UTC times), are unpacked one after another into
 * restored/: whole files are copied over, removed files deleted, and each
 * changed 4 KiB block (cairn-pages/<file>/<block number>) written in place
 * with dd. For a full backup alone it is one age | zstd | tar -x.
 */
export const CHAIN_RECOVERY_COMMANDS: readonly string[] = [
  `FULL=$(grep -L '"kind": "incremental"' cairn-backup-*.tar.zst.age.json | tail -n 1)`,
  'mkdir restored',
  [
    `for FILE in $(ls -1 cairn-backup-*.tar.zst.age | awk -v f="\${FULL%.json}" '$0 >= f'); do`,
    '  rm -rf link && mkdir link',
    '  age -d -i key.txt "$FILE" | zstd -d | tar -x -C link',
    '  if [ -f link/cairn-removed.txt ]; then',
    '    while IFS= read -r f; do rm -f "restored/$f"; done < link/cairn-removed.txt',
    '    rm link/cairn-removed.txt',
    '  fi',
    '  if [ -d link/cairn-pages ]; then',
    '    (cd link && find cairn-pages -type f) | while IFS= read -r p; do',
    '      n=${p##*/}; t=${p#cairn-pages/}',
    '      dd if="link/$p" of="restored/${t%/*}" bs=4096 seek="$n" conv=notrunc 2>/dev/null',
    '    done',
    '    rm -r link/cairn-pages',
    '  fi',
    '  cp -R link/. restored/',
    'done',
  ].join('\n'),
  'rm -rf link',
]

export function recoverySheetContent(
  key: BackupKey,
  options: { createdAt: Date; vaultId?: string; vaultUrl?: string | null },
): RecoverySheetContent {
  const age = formatKeyAge(key.secret)
  return {
    createdAt: options.createdAt.toISOString().slice(0, 10),
    fingerprint: key.fingerprint,
    groups: formatKeyHex(key.secret).split(' '),
    vault: options.vaultId ? { url: options.vaultUrl ?? null, recordId: options.vaultId } : null,
    restoreInCairn: restoreInCairnSteps(),
    commands: [
      // The key file is written private; the newest backup is the last name in order (UTC times).
      'umask 077',
      `cat > key.txt <<'EOF'\n${age}\nEOF`,
      ...CHAIN_RECOVERY_COMMANDS,
    ],
  }
}

/**
 * A page to print and keep: the key, its fingerprint, the date, how to
 * restore in Cairn (naming its real screens), and the exact commands that
 * recover a backup with standard tools, without Cairn.
 */
export function recoverySheet(
  key: BackupKey,
  options: { createdAt: Date; vaultId?: string; vaultUrl?: string | null },
): RecoverySheet {
  return renderRecoverySheet(recoverySheetContent(key, options))
}

export function renderRecoverySheet(sheet: RecoverySheetContent): RecoverySheet {
  const hexLines = [sheet.groups.slice(0, 8).join(' '), sheet.groups.slice(8).join(' ')]
  const vaultLines = sheet.vault
    ? [
        `Backup Key Vault record: ${sheet.vault.recordId}`,
        ...(sheet.vault.url ? [`Backup Key Vault address: ${sheet.vault.url}`] : []),
      ]
    : []
  const text = [
    'CAIRN BACKUP KEY: RECOVERY SHEET',
    '',
    `Created: ${sheet.createdAt}`,
    `Fingerprint: ${sheet.fingerprint}`,
    ...vaultLines,
    '',
    'Backup key (64 hex digits):',
    ...hexLines.map((line) => `  ${line}`),
    '',
    'Anyone with this key can read your backups. Keep this sheet somewhere safe.',
    '',
    'To restore in Cairn:',
    ...sheet.restoreInCairn.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    'To recover the newest backup without Cairn (needs the age and zstd tools;',
    'a backup chain is applied link by link, from its full backup),',
    'in a terminal, in the folder that holds your backups:',
    ...sheet.commands.map((command) => command.replace(/^/gm, '  ')),
    'Your mail is then in restored/ (restored/mail.sqlite is an SQLite database).',
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
<p>Created ${escape(sheet.createdAt)} · Fingerprint <strong>${escape(sheet.fingerprint)}</strong></p>
${vaultLines.map((line) => `<p>${escape(line)}</p>`).join('\n')}
<div class="key">${hexLines.map(escape).join('<br>')}</div>
<p class="warn">Anyone with this key can read your backups. Keep this sheet somewhere safe.</p>
<h2>To restore in Cairn</h2>
<ol>${sheet.restoreInCairn.map((step) => `<li>${escape(step)}</li>`).join('')}</ol>
<h2>To recover the newest backup without Cairn</h2>
<p>Needs the <code>age</code> and <code>zstd</code> tools. In a terminal, in the folder that holds your backups:</p>
<pre>${sheet.commands.map(escape).join('\n')}</pre>
<p>Your mail is then in <code>restored/</code>.</p>
</body></html>
`
  return { text, html }
}
