/**
 * A path that stays inside the folder it is extracted into on every OS: no
 * absolute paths or drive letters, no "." or ".." segments, no backslashes
 * or characters Windows refuses, no empty segments.
 */
export function isSafeRelativePath(path: string): boolean {
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return false
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\0<>:"|?*\u0001-\u001f]/.test(path)) return false
  return path
    .split('/')
    .every((segment) => segment.length > 0 && segment !== '.' && segment !== '..')
}
