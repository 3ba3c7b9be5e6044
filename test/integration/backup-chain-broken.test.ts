/**
 * A chain with a link missing, truncated, replaced by an older one, or an
 * incremental link that lies (a block past the end of its file, a block of
 * the wrong size, a manifest naming a link that is not there): restore and
 * verify refuse it before any swap, with a message naming the link, and
 * nothing is written beside the restore target.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateBackupKey, type BackupKey } from '../../main/backup/key/backup-key'
import { restoreBackup } from '../../main/backup/restore/restore'
import { verifyBackup } from '../../main/backup/verify'
import { isCairnError } from '../../main/shared/errors'
import { addMail, backUpAt, flagSome, restoreTarget } from '../support/chain-world'
import { linkEntries, manifestEntry, withManifest, writeCraftedLink } from '../support/chain-links'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const at = (n: number) => new Date(Date.UTC(2026, 5, 1, 9, n))
let key: BackupKey
let pristine: string
let names: string[]

beforeAll(async () => {
  const profile = await makeProfile({ messages: 30 })
  key = generateBackupKey()
  // Kept for the whole file (tempDir folders go after each test).
  pristine = mkdtempSync(join(tmpdir(), 'cairn-chain-'))
  const results = [await backUpAt(profile, key, pristine, at(0))]
  for (let i = 1; i <= 3; i++) {
    await addMail(profile.dir, 3)
    await flagSome(profile.dir, 4, i)
    results.push(await backUpAt(profile, key, pristine, at(i)))
  }
  expect(results.map((r) => r.kind)).toEqual(['full', 'incremental', 'incremental', 'incremental'])
  names = results.map((r) => r.name)
}, 120_000)
afterAll(() => rmSync(pristine, { recursive: true, force: true }))

/** A copy of the chain's folder to damage. */
function copyOfChain(): string {
  const folder = tempDir()
  for (const name of readdirSync(pristine)) copyFileSync(join(pristine, name), join(folder, name))
  return folder
}

async function refused(file: string, message: RegExp) {
  const target = restoreTarget()
  const parent = join(target, '..')
  const error = await restoreBackup({ file, key, profileDir: target }).catch((e: unknown) => e)
  expect(isCairnError(error), String(error)).toBe(true)
  expect((error as Error).message).toMatch(message)
  // Nothing was swapped in, and no staging is left behind.
  expect(existsSync(target)).toBe(false)
  expect(readdirSync(parent)).toEqual([])
  const verified = await verifyBackup(file, key).catch((e: unknown) => e)
  expect((verified as Error).message).toMatch(message)
}

describe('a broken chain', () => {
  it('a missing link is named, by restore and by verify with and without the key', async () => {
    const folder = copyOfChain()
    rmSync(join(folder, names[1]!))
    rmSync(join(folder, `${names[1]!}.json`))
    await refused(join(folder, names[3]!), /[Ll]ink 1 of the chain.*is not in/)
    const keyless = await verifyBackup(join(folder, names[3]!)).catch((e: unknown) => e)
    expect((keyless as Error).message).toMatch(
      new RegExp(`Link 1 of this backup's chain \\(${names[1]!}\\) is not in`),
    )
  })

  it('a truncated link is named as damaged', async () => {
    const folder = copyOfChain()
    truncateSync(join(folder, names[2]!), 200)
    await refused(
      join(folder, names[3]!),
      new RegExp(`[Ll]ink 2 of the chain .*${names[2]!}.* is damaged`),
    )
    const keyless = await verifyBackup(join(folder, names[3]!)).catch((e: unknown) => e)
    expect((keyless as Error).message).toMatch(/Link 2 .* cannot be used: it is truncated/)
  })

  it('a link replaced by an older one (its sidecar too) is refused', async () => {
    const folder = copyOfChain()
    copyFileSync(join(folder, names[1]!), join(folder, names[2]!))
    const sidecar = JSON.parse(readFileSync(join(folder, `${names[1]!}.json`), 'utf8'))
    writeFileSync(
      join(folder, `${names[2]!}.json`),
      JSON.stringify({ ...sidecar, file: names[2] }, null, 2),
    )
    await refused(join(folder, names[3]!), /[Ll]ink 2 of the chain.*is not in/)
    const keyless = await verifyBackup(join(folder, names[3]!)).catch((e: unknown) => e)
    expect((keyless as Error).message).toMatch(/Link 2 .* cannot be used: .*replaced/)
  })

  it('a link whose bytes were swapped for another link’s, under its own sidecar, fails the chain’s hash', async () => {
    const folder = copyOfChain()
    // Link 1's bytes under link 2's name, and a sidecar claiming them: only the encrypted manifest can tell.
    const crafted = await writeCraftedLink(
      join(folder, names[1]!),
      key,
      await linkEntries(join(folder, names[1]!), key),
      'cairn-backup-20260601T091500Z.tar.zst.age',
    )
    const sidecar = JSON.parse(readFileSync(`${crafted}.json`, 'utf8'))
    const original = JSON.parse(readFileSync(join(folder, `${names[2]!}.json`), 'utf8'))
    // Point the head's recorded hash at the crafted file: link 2 is now link 1's content.
    rmSync(join(folder, names[2]!))
    rmSync(join(folder, `${names[2]!}.json`))
    writeFileSync(
      `${crafted}.json`,
      JSON.stringify({ ...sidecar, sha256: original.sha256 }, null, 2),
    )
    await refused(join(folder, names[3]!), /[Ll]ink 2 of the chain/)
  })

  it('a block past the end of its file, or of the wrong size, is refused naming the link', async () => {
    const folder = copyOfChain()
    const entries = await linkEntries(join(folder, names[3]!), key)
    const manifest = manifestEntry(entries)
    const group = manifest.chain.pages[0]!
    const db = manifest.files.find((f) => f.path === group.path) as { size: number }
    const past = Math.ceil(db.size / 4096) + 10
    const pastEntries = withManifest(entries, {
      ...manifest,
      chain: {
        ...manifest.chain,
        pages: [{ ...group, blocks: [...group.blocks, past] }, ...manifest.chain.pages.slice(1)],
      },
    })
    const lastOfGroup = pastEntries.findIndex(
      (e) => e.name === `cairn-pages/${group.path}/${group.blocks.at(-1)}`,
    )
    pastEntries.splice(lastOfGroup + 1, 0, {
      name: `cairn-pages/${group.path}/${past}`,
      content: Buffer.alloc(4096),
    })
    const pastLink = await writeCraftedLink(
      join(folder, names[3]!),
      key,
      pastEntries,
      'cairn-backup-20260601T100000Z.tar.zst.age',
    )
    await refused(pastLink, new RegExp(`block ${past} of "mail.sqlite", past the end`))

    const short = entries.map((e) =>
      e.name === `cairn-pages/${group.path}/${group.blocks[0]}`
        ? { ...e, content: e.content.subarray(0, 100) }
        : e,
    )
    const shortLink = await writeCraftedLink(
      join(folder, names[3]!),
      key,
      short,
      'cairn-backup-20260601T100100Z.tar.zst.age',
    )
    await refused(
      shortLink,
      new RegExp(`block ${group.blocks[0]} of "mail.sqlite" is 100 bytes, not 4096`),
    )
  })

  it('blocks of a file that is not a database are refused naming the link', async () => {
    const folder = copyOfChain()
    const entries = await linkEntries(join(folder, names[3]!), key)
    const manifest = manifestEntry(entries)
    // An attachment the full backup holds whole: only databases are ever patched.
    const attachment = manifest.files.find(
      (f) => f.link === 0 && f.path.startsWith('attachments/'),
    ) as { path: string }
    const block = Buffer.alloc(4096, 1)
    const crafted = withManifest(entries, {
      ...manifest,
      chain: {
        ...manifest.chain,
        pages: [
          ...manifest.chain.pages,
          {
            path: attachment.path,
            blocks: [0],
            sha256: createHash('sha256').update(block).digest('hex'),
          },
        ],
      },
    })
    crafted.push({ name: `cairn-pages/${attachment.path}/0`, content: block })
    const link = await writeCraftedLink(
      join(folder, names[3]!),
      key,
      crafted,
      'cairn-backup-20260601T100200Z.tar.zst.age',
    )
    await refused(link, /carries blocks of "attachments\/.*", which is not a database/)
  })

  it('a manifest naming a link that is not there is refused naming it', async () => {
    const folder = copyOfChain()
    const entries = await linkEntries(join(folder, names[3]!), key)
    const manifest = manifestEntry(entries)
    const links = manifest.chain.links.map((l, i) =>
      i === 1 ? { ...l, sha256: createHash('sha256').update('elsewhere').digest('hex') } : l,
    )
    const crafted = await writeCraftedLink(
      join(folder, names[3]!),
      key,
      withManifest(entries, { ...manifest, chain: { ...manifest.chain, links } }),
      'cairn-backup-20260601T100200Z.tar.zst.age',
    )
    await refused(crafted, /[Ll]ink 1 of the chain \(made on [^)]+\) is not in/)
  })
})
