import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { productionClosure } from '../support/package-closure'

const root = join(import.meta.dirname, '..', '..')

const serverOnly = ['fastify', 'pg', 'pkcs11js']

describe('the desktop app ships none of the vault server', () => {
  it('has no fastify, pg or pkcs11js in its production dependency closure', () => {
    const app = productionClosure(root)
    expect(app.has('better-sqlite3')).toBe(true)
    for (const name of serverOnly) expect(app.has(name), name).toBe(false)
  })

  it('finds them in the vault workspace, so the walk above can see them', () => {
    const vault = productionClosure(join(root, 'vault'), root)
    for (const name of serverOnly) expect(vault.has(name), name).toBe(true)
  })
})
