import { randomBytes } from 'node:crypto'
import {
  closeSync,
  copyFileSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { extname, join, resolve, sep } from 'node:path'
import { cutToUnits } from '../shared/cut-text.js'
import { CairnError, errnoCode } from '../shared/errors.js'

/** Names Windows reserves for devices, with or without an extension ("con.txt" is a device too). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i

/** Longest name written, in UTF-8 bytes (most file systems allow 255). */
const MAX_NAME_BYTES = 200

/**
 * A file name from a mail, made safe to create on any OS: no path
 * separators (so it names a file inside the chosen folder, never
 * elsewhere), no control characters or characters Windows forbids, no
 * device name (CON, NUL, COM1…), no leading dots (no hidden files) or
 * trailing dots and spaces, at most 200 bytes with the extension kept.
 */
export function safeFileName(name: string, fallback = 'attachment'): string {
  let clean = name
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .trim()
  const stem = clean.split('.')[0] ?? ''
  if (RESERVED.test(stem.trim())) clean = `_${clean}`
  if (!clean) clean = fallback
  if (Buffer.byteLength(clean) > MAX_NAME_BYTES) {
    // Both cuts fall between code points: base ends where the extension began, and a long
    // extension keeps its first 16 units without half an emoji.
    const whole = extname(clean)
    const ext = cutToUnits(whole, 16)
    let base = clean.slice(0, clean.length - whole.length)
    while (Buffer.byteLength(base + ext) > MAX_NAME_BYTES) base = [...base].slice(0, -1).join('')
    clean = base + ext
  }
  return clean
}

/**
 * Extensions of files the system runs, rather than shows, when they are
 * opened with their default application: programs, scripts, installers,
 * shortcuts and links to local files, disk images that mount as drives
 * (Windows' ShellExecute, macOS's `open`, Linux's xdg-open). An attachment
 * named so is never handed to the system by "Open": one call from a
 * compromised reader, or one click on "invoice.pdf.exe", would run it.
 * Saving it stays possible.
 */
const RUNS_WHEN_OPENED = new Set(
  [
    // Windows
    'exe com scr pif cpl msi msp mst msc msix msixbundle appx appxbundle appinstaller appref-ms',
    'application gadget bat cmd hta js jse vb vbs vbe wsf wsh ws wsc sct ps1 ps1xml ps2 psc1',
    'psd1 psm1 lnk url scf reg inf chm hlp xll diagcab settingcontent-ms library-ms search-ms',
    'searchconnector-ms iso img vhd vhdx cab jar jnlp mde mda accde ade adp',
    // macOS
    'app command tool terminal pkg mpkg dmg workflow action scpt applescript fileloc inetloc',
    'webloc prefpane kext',
    // Linux and any Unix
    'desktop sh bash zsh csh ksh run bin appimage deb rpm snap flatpakref py pl rb',
  ]
    .join(' ')
    .split(' '),
)

/** Whether the system would run `name` (a safe file name) if it were opened, not show it. */
export function runsWhenOpened(name: string): boolean {
  const ext = extname(name).slice(1).toLowerCase()
  return ext !== '' && RUNS_WHEN_OPENED.has(ext)
}

/**
 * Copy a stored attachment into `folder` under its safe name, never over
 * an existing file ("report (2).pdf" instead) and never anywhere but in
 * that folder. Returns the path written.
 */
export function saveInto(folder: string, name: string, source: string): string {
  const dir = resolve(folder)
  const safe = safeFileName(name)
  const ext = extname(safe)
  const base = safe.slice(0, safe.length - ext.length)
  for (let n = 1; n < 1000; n++) {
    const candidate = join(dir, n === 1 ? safe : `${base} (${n})${ext}`)
    if (!candidate.startsWith(dir + sep))
      throw new CairnError('SAVE_FAILED', 'That name cannot be saved.')
    try {
      // COPYFILE_EXCL: an existing file (or a link planted there) is never written through.
      copyFileSync(source, candidate, constants.COPYFILE_EXCL)
      return candidate
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'EEXIST') continue
      throw new CairnError(
        'SAVE_FAILED',
        `Cannot save "${safe}" in ${dir} (${code ?? 'error'}). Choose another folder.`,
        { cause: error },
      )
    }
  }
  throw new CairnError('SAVE_FAILED', `Too many files called "${safe}" in ${dir}.`)
}

/**
 * A private folder for a file opened with the system's application: one
 * random folder per file under the profile's cache (0700, not backed up),
 * so the application gets a real name and nothing else can guess the path.
 * Folders older than a day are removed when the next one is made.
 */
export function openFolder(cacheDir: string): string {
  const root = join(cacheDir, 'opened')
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const dayAgo = Date.now() - 24 * 3600_000
  for (const entry of readdirSync(root)) {
    try {
      if (statSync(join(root, entry)).mtimeMs < dayAgo)
        rmSync(join(root, entry), { recursive: true, force: true })
    } catch {
      // gone meanwhile
    }
  }
  const dir = join(root, randomBytes(12).toString('hex'))
  mkdirSync(dir, { mode: 0o700 })
  return dir
}

/** Write bytes to a new file (never over an existing one), private to the user. */
export function writeNewFile(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    writeSync(fd, bytes)
  } finally {
    closeSync(fd)
  }
}
