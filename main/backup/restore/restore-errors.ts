import { CairnError, errnoCode, isCairnError } from '../../shared/errors.js'

/**
 * A failure during a restore, said as what it means: which path, what is
 * wrong with it, and that the profile was not changed (the swap only starts
 * once everything is in place). The errno code stays in the cause.
 */
export function describeRestoreFailure(error: unknown, profileDir: string): unknown {
  // Reading the backup failed (a lost connection, a server error): say that nothing changed.
  if (
    isCairnError(error) &&
    error.code.startsWith('DESTINATION_') &&
    !/not changed/.test(error.message)
  )
    return new CairnError(
      error.code,
      `${error.message} The restore stopped before changing anything: your profile was not changed.`,
      { cause: error },
    )
  if (isCairnError(error)) return error
  const code = errnoCode(error)
  const path = (error as { path?: string }).path ?? profileDir
  const unchanged = 'Your profile was not changed.'
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new CairnError(
        'DISK_FULL',
        `The disk is full, so the backup could not be unpacked. ${unchanged} Free some space and try again.`,
        { cause: error },
      )
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new CairnError(
        'RESTORE_FAILED',
        `Cairn cannot write beside the profile (${path}): the folder is read-only or you lack permission. ${unchanged} ` +
          'Fix the folder’s permissions, or restore into another --profile path.',
        { cause: error },
      )
    case 'ENOTDIR':
      return new CairnError(
        'RESTORE_FAILED',
        `Part of the profile path is a file where a folder should be (${path}). ${unchanged} Choose another --profile path.`,
        { cause: error },
      )
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new CairnError(
        'RESTORE_FAILED',
        `Something is already at ${path}, where the restore needs to put a folder. ${unchanged} ` +
          'Move it away (or choose another --profile path) and try again.',
        { cause: error },
      )
    case 'ENAMETOOLONG':
      return new CairnError(
        'RESTORE_FAILED',
        `The path ${path} is too long for this filesystem. ${unchanged} Choose a shorter --profile path.`,
        { cause: error },
      )
    case 'EIO':
      return new CairnError(
        'RESTORE_FAILED',
        `The disk reported an input/output error at ${path}. ${unchanged} Check the disk, then try again.`,
        { cause: error },
      )
    default:
      return new CairnError(
        'RESTORE_FAILED',
        `The restore failed at ${path} (${code ?? (error instanceof Error ? error.message : String(error))}). ${unchanged}`,
        { cause: error },
      )
  }
}
