// `node --import <this file> …`: writes every module the program loads, one
// URL a line, to the file named by CAIRN_TRACE_IMPORTS (tests of what a
// command loads, e.g. that `cairn --help` loads no command module).
import { register } from 'node:module'

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(process.env.CAIRN_TRACE_IMPORTS, result.url + '\\n')
  return result
}`)}`,
)
