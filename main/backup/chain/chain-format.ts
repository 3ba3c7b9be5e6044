import { z } from 'zod'
import { backupTimeSchema } from '../archive/made-at.js'
import { isSafeRelativePath } from '../archive/safe-path.js'

/**
 * Backup chains (issue 14). A chain starts with a full backup (link 0) and
 * goes on with incremental links 1, 2 … Every link is still one
 * age-encrypted tar.zst with its sidecar. An incremental link's manifest
 * lists EVERY profile file as it was when the link was made, each with the
 * index of the link whose archive holds it whole (`link`); a database is
 * then patched by the changed blocks of every later link up to this one,
 * stored as one tar entry per block, `cairn-pages/<path>/<block number>`,
 * BLOCK_SIZE bytes each (the last block of a file may be shorter), applied
 * with `dd bs=4096 seek=<block number> conv=notrunc`.
 *
 * Blocks are 4 KiB whatever SQLite's page size: the diff works on any file,
 * and Cairn's databases use 4 KiB pages, so a block is a page.
 */
export const BLOCK_SIZE = 4096
/** The tar folder holding an incremental link's changed blocks. */
export const PAGES_DIR = 'cairn-pages'
/** A plain list (one path a line) of the files gone since the previous link: for stock-tools recovery. */
export const REMOVED_NAME = 'cairn-removed.txt'
/** Archive format of an incremental link: a Cairn that knows only full backups (format 1) refuses it. */
export const INCREMENTAL_FORMAT_VERSION = 2
/** A chain longer than this is not Cairn's (the policy starts a new full well before). */
export const MAX_CHAIN_LINKS = 10_000

const hex64 = z.string().regex(/^[0-9a-f]{64}$/)

/** The chain section of a manifest (inside the encryption: it is what restore trusts). */
export const manifestChainSchema = z
  .object({
    /** Random, per chain; every link of a chain carries it. */
    id: z.string().regex(/^[0-9a-f]{32}$/),
    index: z.number().int().nonnegative().max(MAX_CHAIN_LINKS),
    /**
     * The earlier links, 0 … index−1, in order: when each was made and the
     * SHA-256 of its encrypted file (as its sidecar records it). Restore finds
     * them by these, and a link replaced by another fails the hash.
     */
    links: z.array(z.object({ createdAt: backupTimeSchema, sha256: hex64 }).strict()),
    blockSize: z.literal(BLOCK_SIZE),
    /** The blocks this link carries, per file, ascending, and the SHA-256 of those blocks in that order. */
    pages: z.array(
      z
        .object({
          path: z.string().refine(isSafeRelativePath, 'not a safe relative path'),
          blocks: z.array(z.number().int().nonnegative()),
          sha256: hex64,
        })
        .strict(),
    ),
    /** Files the previous link had and this one does not. */
    removed: z.array(z.string().refine(isSafeRelativePath, 'not a safe relative path')),
  })
  .strict()
  .refine((chain) => chain.links.length === chain.index, 'links must list every earlier link')

export type ManifestChain = z.infer<typeof manifestChainSchema>

export type BackupKind = 'full' | 'incremental'

/**
 * The chain fields of a sidecar (plaintext, readable without the key):
 * enough to list chains, find a link's parent and check order and hashes.
 * Restore never trusts them alone: the encrypted manifest says the same.
 */
export interface SidecarChain {
  kind: BackupKind
  chainId: string
  chainIndex: number
  /** The name of the chain's full backup (this one's, for a full). */
  base: string | null
  /** The previous link's name and SHA-256 (null for a full). */
  parent: string | null
  parentSha256: string | null
}

export const sidecarChainShape = {
  kind: z.enum(['full', 'incremental']).optional(),
  chainId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  chainIndex: z.number().int().nonnegative().max(MAX_CHAIN_LINKS).optional(),
  base: z.string().nullable().optional(),
  parent: z.string().nullable().optional(),
  parentSha256: hex64.nullable().optional(),
}

/** The tar entry name of block `block` of file `path`. */
export function pageEntryName(path: string, block: number): string {
  return `${PAGES_DIR}/${path}/${block}`
}

/** A page entry's file and block number, or null when `name` is not one. */
export function parsePageEntryName(name: string): { path: string; block: number } | null {
  if (!name.startsWith(`${PAGES_DIR}/`)) return null
  const rest = name.slice(PAGES_DIR.length + 1)
  const slash = rest.lastIndexOf('/')
  if (slash <= 0) return null
  const digits = rest.slice(slash + 1)
  if (!/^(0|[1-9]\d{0,11})$/.test(digits)) return null
  return { path: rest.slice(0, slash), block: Number(digits) }
}

/** Whether the chain-aware reader handles this link (an incremental), or the plain archive reader (a full). */
export const isIncremental = (chain: ManifestChain | undefined): chain is ManifestChain =>
  chain !== undefined && chain.index > 0
