import { describe, expect, it } from 'vitest'
import { dispatch } from '../../main/ipc/dispatch'
import type { Handlers } from '../../main/ipc/handlers'
import { CairnError } from '../../main/shared/errors'

function handlers(overrides: Partial<Handlers>): Handlers {
  const unused = () => {
    throw new Error('not used in this test')
  }
  return new Proxy(overrides as Handlers, {
    get: (target, key) => (target as Record<string, unknown>)[key as string] ?? unused,
  })
}

describe('IPC dispatch', () => {
  it('runs a known method with validated input', async () => {
    const h = handlers({ 'mail.search': ({ query, limit }) => [{ query, limit }] as never })
    expect(await dispatch(h, 'mail.search', { query: 'x', limit: 5 })).toEqual({
      ok: true,
      value: [{ query: 'x', limit: 5 }],
    })
  })

  it('refuses unknown methods, including inherited object keys', async () => {
    for (const method of ['mail.drop', 'constructor', '__proto__', 42]) {
      const envelope = await dispatch(handlers({}), method, {})
      expect(envelope).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    }
  })

  it('refuses input that does not match the contract before any service runs', async () => {
    let ran = false
    const h = handlers({
      'mail.get': () => {
        ran = true
        return null as never
      },
    })
    for (const input of [{ id: -1 }, { id: 1.5 }, { id: '1' }, { id: 1, extra: true }, null, 'x']) {
      const envelope = await dispatch(h, 'mail.get', input)
      expect(envelope, JSON.stringify(input)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      })
    }
    expect(ran).toBe(false)
  })

  it('passes on the code and message of a CairnError', async () => {
    const h = handlers({
      'mail.import.start': () => {
        throw new CairnError('IMPORT_BUSY', 'An import is already running.')
      },
    })
    expect(await dispatch(h, 'mail.import.start', { paths: ['/x'] })).toEqual({
      ok: false,
      error: { code: 'IMPORT_BUSY', message: 'An import is already running.' },
    })
  })

  it('hides the internals of unexpected errors', async () => {
    const h = handlers({
      'mail.folders': () => {
        throw new Error('SQLITE_CORRUPT at /home/me/secret/path')
      },
    })
    const original = console.error
    console.error = () => undefined
    try {
      const envelope = await dispatch(h, 'mail.folders', {})
      expect(envelope).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
      expect(JSON.stringify(envelope)).not.toContain('secret')
    } finally {
      console.error = original
    }
  })
})
