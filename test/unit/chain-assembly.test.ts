import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Manifest, ManifestFile } from '../../main/backup/archive/manifest'
import { ChainAssembly, gapsBetween } from '../../main/backup/chain/assembly'
import { BLOCK_SIZE } from '../../main/backup/chain/chain-format'
import { tempDir } from '../support/temp'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** One file's history along a chain: its whole copy in `holder`, then per later link the blocks it changed. */
interface History {
  holder: number
  whole: Buffer
  links: { index: number; blocks: Map<number, Buffer> }[]
}

/** The file as the chain leaves it, applied oldest first (what the stock-tools loop does). */
function forward(history: History): Buffer {
  let file = Buffer.from(history.whole)
  for (const { blocks } of history.links)
    for (const [block, bytes] of [...blocks].sort((a, b) => a[0] - b[0])) {
      const end = block * BLOCK_SIZE + bytes.length
      if (end > file.length) file = Buffer.concat([file, Buffer.alloc(end - file.length)])
      bytes.copy(file, block * BLOCK_SIZE)
    }
  return file
}

const history = fc
  .record({
    holder: fc.integer({ min: 0, max: 2 }),
    wholeBlocks: fc.integer({ min: 1, max: 12 }),
    tail: fc.integer({ min: 1, max: BLOCK_SIZE }),
    links: fc.array(
      fc.array(fc.record({ block: fc.nat(15), fill: fc.integer({ min: 1, max: 255 }) }), {
        maxLength: 8,
      }),
      { maxLength: 5 },
    ),
  })
  .map(({ holder, wholeBlocks, tail, links }) => {
    const whole = Buffer.alloc((wholeBlocks - 1) * BLOCK_SIZE + tail)
    for (let i = 0; i < whole.length; i++) whole[i] = (i * 7 + holder) & 0xff
    // A database only grows along a chain (a shrink makes a full backup): each link may
    // change blocks inside the file or append whole ones right after its end.
    let size = whole.length
    const out: History['links'] = []
    for (const [offset, changes] of links.entries()) {
      const blocks = new Map<number, Buffer>()
      for (const { block, fill } of changes) {
        const lastBlock = Math.ceil(size / BLOCK_SIZE) - 1
        const at = Math.min(block, lastBlock + 1)
        // A block inside the file keeps its length; a new one is full and pads a short tail.
        const length =
          at < lastBlock ? BLOCK_SIZE : at === lastBlock ? size - at * BLOCK_SIZE : BLOCK_SIZE
        if (at > lastBlock && size % BLOCK_SIZE !== 0) continue // grow only from a whole-block size
        blocks.set(at, Buffer.alloc(length, fill))
        size = Math.max(size, at * BLOCK_SIZE + length)
      }
      out.push({ index: holder + 1 + offset, blocks })
    }
    return { holder, whole, links: out } satisfies History
  })

/**
 * Assemble `h` as restore does: the links after the holder newest first, and the
 * holder's whole copy at the same time, interleaved as `turns` says (true: the
 * next link block; false: the next chunk of the whole copy); then older links'
 * blocks of an earlier copy (the head's copy replaced them: they must not land).
 */
async function assemble(
  dir: string,
  h: History,
  older: Map<number, Buffer>[],
  turns: boolean[],
): Promise<Buffer> {
  const final = forward(h)
  const file: ManifestFile = {
    path: 'mail/mailbox.sqlite',
    size: final.length,
    sha256: sha(final),
    link: h.holder,
  }
  const head = { files: [file] } as unknown as Manifest
  const assembly = new ChainAssembly(dir, head, () => true)
  const whole: ManifestFile = { ...file, size: h.whole.length, sha256: sha(h.whole) }
  expect(assembly.writesWhole(whole, h.holder)).toBe(true)
  const blocks = [...h.links]
    .reverse()
    .flatMap((link) =>
      [...link.blocks].map(([block, bytes]) => ({ index: link.index, block, bytes })),
    )
  const pieces = [...chunks(h.whole, 1000)]
  const sink = assembly.wholeSink(whole)
  const written = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => sink.write(chunk, (e) => (e ? reject(e) : resolve())))
  let turn = 0
  while (blocks.length > 0 || pieces.length > 0) {
    const linkNext =
      pieces.length === 0 || (blocks.length > 0 && (turns[turn++ % turns.length] ?? true))
    if (linkNext) {
      const { index, block, bytes } = blocks.shift()!
      assembly.block(file.path, index, block, bytes)
    } else await written(pieces.shift()!)
  }
  await new Promise<void>((resolve) => sink.end(resolve))
  assembly.wholeRead(whole)
  for (const [offset, blocks] of older.entries())
    for (const [block, bytes] of blocks)
      assembly.block(file.path, h.holder - 1 - offset, block, bytes)
  const state = assembly.settle(file)
  assembly.close()
  expect(state.patched).toBe(h.links.some((l) => l.blocks.size > 0))
  if (!state.patched) expect(state.sha256).toBe(whole.sha256)
  return readFileSync(join(dir, 'mail', 'mailbox.sqlite'))
}

function* chunks(bytes: Buffer, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

describe('assembling a chain newest link first', () => {
  it('gives the bytes that applying every link oldest first gives, however the full copy and the links interleave', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.array(fc.boolean(), { minLength: 1 }), async (h, turns) => {
        const dir = tempDir('chain-assembly-')
        const older = Array.from(
          { length: h.holder },
          () => new Map([[0, Buffer.alloc(BLOCK_SIZE, 0xee)]]),
        )
        expect(sha(await assemble(dir, h, older, turns))).toBe(sha(forward(h)))
      }),
      { numRuns: 200 },
    )
  })

  it('writes only the gaps a newer link left: runs merged, skipped blocks untouched', () => {
    const skip = new Set([1, 2, 5])
    expect(gapsBetween(0, 8 * BLOCK_SIZE, skip)).toEqual([
      [0, BLOCK_SIZE],
      [3 * BLOCK_SIZE, 5 * BLOCK_SIZE],
      [6 * BLOCK_SIZE, 8 * BLOCK_SIZE],
    ])
    // A chunk that starts and ends inside blocks.
    expect(gapsBetween(BLOCK_SIZE - 10, 2 * BLOCK_SIZE + 20, skip)).toEqual([
      [BLOCK_SIZE - 10, BLOCK_SIZE],
      [3 * BLOCK_SIZE, 3 * BLOCK_SIZE + 10],
    ])
    expect(gapsBetween(BLOCK_SIZE + 5, 100, skip)).toEqual([])
  })

  it('ignores blocks of a file the head does not list, past its end, or of a copy it replaced', () => {
    const dir = tempDir('chain-assembly-')
    const file: ManifestFile = {
      path: 'a.sqlite',
      size: BLOCK_SIZE,
      sha256: '0'.repeat(64),
      link: 2,
    }
    const assembly = new ChainAssembly(dir, { files: [file] } as unknown as Manifest, () => true)
    assembly.block('gone.sqlite', 3, 0, Buffer.alloc(BLOCK_SIZE))
    assembly.block('a.sqlite', 3, 1, Buffer.alloc(BLOCK_SIZE)) // past its end
    assembly.block('a.sqlite', 2, 0, Buffer.alloc(BLOCK_SIZE)) // the holder itself carries it whole
    assembly.block('a.sqlite', 1, 0, Buffer.alloc(BLOCK_SIZE)) // an older copy's block
    expect(assembly.settle(file)).toEqual({ patched: false, sha256: null }) // nothing landed
    assembly.close()
  })
})
