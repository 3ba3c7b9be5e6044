import { isIP } from 'node:net'

/**
 * Is `host` this computer's loopback interface (127.0.0.0/8, ::1, or the
 * name localhost)? Plain HTTP is acceptable only there: nothing crosses a
 * network. Accepts URL hostnames ("[::1]") and listen addresses alike.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)?.[1] ?? name
  if (isIP(mapped) === 4) return mapped.split('.')[0] === '127'
  if (isIP(mapped) === 6) return /^(0{0,4}:){2,7}0{0,3}1$/.test(mapped) || mapped === '::1'
  return false
}
