import { describe, expect, it } from 'vitest'
import { JoinedBytesBlob } from '../../../main/mail/import/joined-bytes-blob'

describe('the Blob stand-in of the mail-parsing threads', () => {
  it('joins the pieces postal-mime gives it into the bytes Node’s Blob makes of them', async () => {
    const backing = new Uint8Array(Array.from({ length: 64 }, (_, i) => i))
    const pieces = [
      // A line: a view into the middle of the whole message.
      new Uint8Array(backing.buffer, 5, 20),
      '\n',
      'Grüße 東京 ✓',
      new Uint8Array(0),
      // A decoded base64 chunk.
      new Uint8Array([250, 251, 252]).buffer,
      new DataView(backing.buffer, 40, 8),
      '',
      '\n',
    ]
    const real = new Blob(pieces, { type: 'application/octet-stream' })
    const joined = new JoinedBytesBlob(pieces, { type: 'application/octet-stream' })
    expect(joined.size).toBe(real.size)
    expect(joined.type).toBe(real.type)
    expect(new Uint8Array(await joined.arrayBuffer())).toEqual(
      new Uint8Array(await real.arrayBuffer()),
    )
    expect(Object.prototype.toString.call(joined)).toBe('[object Blob]')
  })

  it('keeps its own copy: a piece changed afterwards, or a buffer read and changed, does not change it', async () => {
    const line = new Uint8Array([1, 2, 3])
    const joined = new JoinedBytesBlob([line, 'x'])
    line[0] = 99
    const first = new Uint8Array(await joined.arrayBuffer())
    expect([...first]).toEqual([1, 2, 3, 120])
    first[1] = 77
    expect([...new Uint8Array(await joined.arrayBuffer())]).toEqual([1, 2, 3, 120])
  })
})
