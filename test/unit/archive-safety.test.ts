import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isSafeRelativePath } from '../../main/backup/archive/manifest'
import { readArchive } from '../../main/backup/archive/read-archive'
import { isCairnError } from '../../main/shared/errors'
import { manifestFor, streamOf, tarOf, type FakeEntry } from '../support/hostile-archives'
import { tempDir } from '../support/temp'

const good = Buffer.from('good content')

async function read(entries: FakeEntry[]) {
  const root = tempDir()
  const target = join(root, 'staging')
  mkdirSync(target)
  try {
    await readArchive(streamOf(await tarOf(entries)), { targetDir: target })
  } catch (error) {
    expect(isCairnError(error), String(error)).toBe(true)
    return { error: error as Error & { code: string }, root, target }
  }
  return { error: null, root, target }
}

const manifest = (files: Record<string, Buffer> = { 'mail.sqlite': good }, overrides = {}) => ({
  name: 'cairn-manifest.json',
  content: manifestFor(files, overrides),
})

describe('reading a backup archive', () => {
  it('writes exactly the files its manifest lists', async () => {
    const { error, target } = await read([
      manifest({ 'mail.sqlite': good, 'attachments/ab/x': good }),
      { name: 'mail.sqlite', content: good },
      { name: 'attachments/ab/x', content: good },
    ])
    expect(error).toBeNull()
    expect(readFileSync(join(target, 'attachments', 'ab', 'x'))).toEqual(good)
  })

  it('makes every folder its files go into before it writes the first one', async () => {
    // Made between writes, a mkdir waited behind the early flushes' journal commits.
    const target = join(tempDir(), 'staging')
    mkdirSync(target)
    const files = { 'mail.sqlite': good, 'attachments/ab/x': good, 'attachments/cd/y': good }
    const foldersAtFirstWrite: boolean[] = []
    await readArchive(
      streamOf(
        await tarOf([
          manifest(files),
          ...Object.entries(files).map(([name, content]) => ({ name, content })),
        ]),
      ),
      {
        targetDir: target,
        sink: (_file, path) => {
          if (foldersAtFirstWrite.length === 0)
            for (const dir of ['ab', 'cd'])
              foldersAtFirstWrite.push(existsSync(join(target, 'attachments', dir)))
          return createWriteStream(path, { flags: 'wx' })
        },
      },
    )
    expect(foldersAtFirstWrite).toEqual([true, true])
    expect(readFileSync(join(target, 'attachments', 'cd', 'y'))).toEqual(good)
  })

  const hostile: [string, FakeEntry[], RegExp][] = [
    [
      'a first entry that is not the manifest',
      [{ name: 'mail.sqlite', content: good }],
      /first entry is not the Cairn manifest/,
    ],
    [
      'an absolute path',
      [manifest(), { name: '/tmp/evil', content: good }],
      /unsafe path "\/tmp\/evil"/,
    ],
    [
      'a path climbing out with ..',
      [manifest(), { name: '../evil', content: good }],
      /unsafe path "\.\.\/evil"/,
    ],
    [
      'a path climbing out in the middle',
      [manifest(), { name: 'attachments/../../evil', content: good }],
      /unsafe path/,
    ],
    [
      'a symbolic link',
      [manifest(), { name: 'mail.sqlite', type: 'symlink', linkname: '/etc/passwd' }],
      /a symbolic link "mail\.sqlite"/,
    ],
    [
      'a hard link',
      [manifest(), { name: 'mail.sqlite', type: 'link', linkname: '/etc/passwd' }],
      /a hard link/,
    ],
    ['a device', [manifest(), { name: 'mail.sqlite', type: 'character-device' }], /a device/],
    ['a fifo', [manifest(), { name: 'mail.sqlite', type: 'fifo' }], /a fifo/],
    [
      'a directory entry',
      [manifest(), { name: 'attachments', type: 'directory' }],
      /a directory entry/,
    ],
    [
      'a file its manifest does not list',
      [manifest(), { name: 'mail.sqlite', content: good }, { name: 'extra.txt', content: good }],
      /"extra\.txt", which its manifest does not list/,
    ],
    [
      'a file twice',
      [manifest(), { name: 'mail.sqlite', content: good }, { name: 'mail.sqlite', content: good }],
      /"mail\.sqlite" twice/,
    ],
    [
      'a file larger than its manifest says',
      [manifest(), { name: 'mail.sqlite', content: Buffer.concat([good, good]) }],
      /is 24 bytes, but its manifest says 12/,
    ],
    [
      'a file whose content differs',
      [manifest(), { name: 'mail.sqlite', content: Buffer.from('evil content') }],
      /does not match its manifest/,
    ],
    [
      'an archive that ends early',
      [
        manifest({ 'mail.sqlite': good, 'settings.json': good }),
        { name: 'mail.sqlite', content: good },
      ],
      /ends before 1 of its files \(settings\.json\)/,
    ],
    [
      'a manifest that lists a path twice',
      [
        {
          name: 'cairn-manifest.json',
          content: Buffer.from(
            JSON.stringify({
              ...JSON.parse(manifestFor({ a: good }).toString()),
              files: [
                { path: 'a', size: 12, sha256: '0'.repeat(64) },
                { path: 'A', size: 12, sha256: '0'.repeat(64) },
              ],
            }),
          ),
        },
      ],
      /lists "A" twice/,
    ],
    [
      'a manifest with an unsafe path',
      [{ name: 'cairn-manifest.json', content: manifestFor({ '../x': good }) }],
      /manifest is invalid/,
    ],
    [
      'a manifest that is not JSON',
      [{ name: 'cairn-manifest.json', content: Buffer.from('{nope') }],
      /manifest is not valid JSON/,
    ],
  ]
  for (const [what, entries, message] of hostile) {
    it(`refuses ${what}, writing nothing outside the staging folder`, async () => {
      const { error, root, target } = await read(entries)
      expect(error?.code).toBe('BACKUP_CORRUPT')
      expect(error?.message).toMatch(message)
      expect(readdirSync(root)).toEqual(['staging'])
      expect(existsSync('/tmp/evil')).toBe(false)
      for (const file of readdirSync(target, { recursive: true }))
        expect(String(file)).not.toMatch(/evil|extra/)
    })
  }

  it('refuses a backup from a newer archive format with its own message', async () => {
    const { error } = await read([manifest({ 'mail.sqlite': good }, { formatVersion: 99 })])
    expect(error?.code).toBe('BACKUP_TOO_NEW')
    expect(error?.message).toMatch(/newer version of Cairn/)
  })

  it('judges paths as every OS would', () => {
    for (const ok of ['mail.sqlite', 'attachments/ab/abcdef', 'a.b/c..d'])
      expect(isSafeRelativePath(ok), ok).toBe(true)
    for (const bad of [
      '',
      '/a',
      'C:/a',
      'c:x',
      'a/../b',
      '..',
      '.',
      'a//b',
      'a/',
      'a\\b',
      'a\0b',
      'con:x',
      'a|b',
      'a\nb',
    ]) {
      expect(isSafeRelativePath(bad), JSON.stringify(bad)).toBe(false)
    }
  })
})
