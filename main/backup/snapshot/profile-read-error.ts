import { CairnError, errnoCode } from '../../shared/errors.js'
import { NOT_A_REGULAR_FILE } from './open-regular-file.js'

/**
 * A profile file that cannot be read during a backup. The message blames
 * the profile, never the backup folder (which was not touched), and says
 * what to do; the errno code stays in the cause.
 */
export function profileReadError(
  inProfile: string,
  absolutePath: string,
  error: unknown,
): CairnError {
  if (error instanceof CairnError) return error
  const code = errnoCode(error)
  const where = `${inProfile} in the profile (${absolutePath})`
  const nothingWritten = 'The backup folder was not changed.'
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new CairnError(
        'PROFILE_UNAVAILABLE',
        `Cairn is not allowed to read ${where}, so nothing was backed up. ${nothingWritten} ` +
          'Give your user read access to it (for example chmod u+rw on the file), or run Cairn as the user who owns the profile.',
        { cause: error },
      )
    case 'ENOENT':
      return new CairnError(
        'BACKUP_CHANGED_DURING',
        `${inProfile} was deleted from the profile while it was being backed up; the backup was stopped and will be tried again. ${nothingWritten}`,
        { cause: error },
      )
    case 'ELOOP':
      return new CairnError(
        'BACKUP_CHANGED_DURING',
        `${inProfile} was replaced by a symbolic link while it was being backed up; Cairn does not follow links, so the backup was stopped. ${nothingWritten} ` +
          'If you did not do this, check the profile folder for links you did not make.',
        { cause: error },
      )
    case NOT_A_REGULAR_FILE:
      return new CairnError(
        'BACKUP_CHANGED_DURING',
        `${inProfile} was replaced by something that is not a regular file (a fifo, a socket or a device) while it was being backed up; Cairn does not read those, so the backup was stopped. ${nothingWritten} ` +
          'If you did not do this, check the profile folder for files you did not make.',
        { cause: error },
      )
    case 'EIO':
      return new CairnError(
        'PROFILE_UNAVAILABLE',
        `The disk could not read ${where} (an input/output error), so nothing was backed up. ${nothingWritten} Check the disk; the file may be damaged.`,
        { cause: error },
      )
    default:
      return new CairnError(
        'PROFILE_UNAVAILABLE',
        `Cairn could not read ${where} (${code ?? (error instanceof Error ? error.message : String(error))}), so nothing was backed up. ${nothingWritten}`,
        { cause: error },
      )
  }
}
