import { closeSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs'
import { basename, extname, join, relative, sep } from 'node:path'
import { CairnError, errnoCode } from '../../shared/errors.js'

/** One thing to import into one folder: an mbox file, or the .eml files of a directory. */
export type ImportSource =
  | { kind: 'mbox'; file: string; folderPath: string; bytes: number }
  | { kind: 'eml'; files: string[]; folderPath: string; bytes: number; label: string }

export interface SourceProblem {
  source: string
  reason: string
}

const NOT_MAIL = new Set(['.msf', '.dat', '.json', '.html', '.sqlite', '.db', '.log'])

/**
 * Work out what to import from the paths the user chose. A file is an mbox
 * when it starts with "From " (whatever its name: Thunderbird's have none),
 * a message when it is named .eml. A directory is searched recursively:
 * each mbox becomes a folder named after the file (Thunderbird's
 * "Archive.sbd/2023" becomes "Archive/2023"), each directory of .eml files
 * a folder named after the directory. A path the user named that is missing
 * or is not mail is an error before anything is imported.
 */
export function findImportSources(paths: readonly string[]): {
  sources: ImportSource[]
  problems: SourceProblem[]
} {
  const sources: ImportSource[] = []
  const problems: SourceProblem[] = []
  const looseEml: string[] = []
  for (const path of paths) {
    const stats = statOrThrow(path)
    if (stats.isDirectory()) {
      walkDirectory(path, path, sources, problems)
    } else if (isEml(path)) {
      looseEml.push(path)
    } else if (stats.isFile() && startsWithFromLine(path)) {
      sources.push({
        kind: 'mbox',
        file: path,
        folderPath: mboxFolderName(basename(path)),
        bytes: stats.size,
      })
    } else {
      throw new CairnError(
        'IMPORT_NOT_MAIL',
        `${path} is neither an mbox file (it does not start with a "From " line) nor an .eml message.`,
      )
    }
  }
  if (looseEml.length > 0) {
    sources.push({
      kind: 'eml',
      files: looseEml,
      folderPath: 'Imported',
      bytes: looseEml.reduce((sum, file) => sum + statSync(file).size, 0),
      label: looseEml.length === 1 ? (looseEml[0] as string) : `${looseEml.length} .eml files`,
    })
  }
  return { sources, problems }
}

function walkDirectory(
  root: string,
  dir: string,
  sources: ImportSource[],
  problems: SourceProblem[],
): void {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    problems.push({ source: dir, reason: `cannot be read (${errnoCode(error) ?? 'error'})` })
    return
  }
  entries.sort((a, b) => a.name.localeCompare(b.name))
  const emlFiles: string[] = []
  let emlBytes = 0
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      walkDirectory(root, path, sources, problems)
    } else if (entry.isFile()) {
      if (isEml(path)) {
        emlFiles.push(path)
        emlBytes += safeSize(path)
      } else if (!NOT_MAIL.has(extname(entry.name).toLowerCase()) && startsWithFromLine(path)) {
        const parent = folderSegments(root, dir)
        sources.push({
          kind: 'mbox',
          file: path,
          folderPath: [...parent, mboxFolderName(entry.name)].join('/'),
          bytes: safeSize(path),
        })
      }
    }
  }
  if (emlFiles.length > 0) {
    const segments = folderSegments(root, dir)
    sources.push({
      kind: 'eml',
      files: emlFiles,
      folderPath: segments.length > 0 ? segments.join('/') : basename(root) || 'Imported',
      bytes: emlBytes,
      label: dir,
    })
  }
}

/** Folder path of a directory below the chosen root; Thunderbird's ".sbd" suffix marks subfolders. */
function folderSegments(root: string, dir: string): string[] {
  const rel = relative(root, dir)
  if (!rel) return []
  return rel.split(sep).map((segment) => segment.replace(/\.sbd$/i, ''))
}

function mboxFolderName(fileName: string): string {
  return fileName.replace(/\.(mbox|mbx)$/i, '') || 'Imported'
}

function isEml(path: string): boolean {
  return extname(path).toLowerCase() === '.eml'
}

function startsWithFromLine(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(5)
    const read = readSync(fd, head, 0, 5, 0)
    return read === 5 && head.toString('latin1') === 'From '
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CairnError('IMPORT_SOURCE_MISSING', `${path} does not exist.`, { cause: error })
    }
    throw new CairnError(
      'IMPORT_SOURCE_UNREADABLE',
      `${path} cannot be read (${code ?? 'error'}).`,
      {
        cause: error,
      },
    )
  }
}

function safeSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
