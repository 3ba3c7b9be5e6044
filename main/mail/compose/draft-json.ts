import { isAttachmentName } from '../attachment-store.js'
import type { Address } from '../types.js'
import type { DraftAttachment } from './compose-service.js'

/**
 * Readers of a draft row's JSON columns. Compose writes them, but a damaged
 * disk or another tool can leave anything there, and one draft that does
 * not parse must not hide every other draft (the list) or keep the user
 * from discarding it: what does not parse, or has the wrong shape, is left
 * out, so a damaged draft shows with fewer recipients or attachments.
 */

function listIn(text: string): unknown[] {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value : []
  } catch {
    return []
  }
}

const isText = (value: unknown): value is string => typeof value === 'string'

export function draftAttachments(text: string): DraftAttachment[] {
  return listIn(text).filter(
    (a): a is DraftAttachment =>
      typeof a === 'object' &&
      a !== null &&
      isText((a as DraftAttachment).key) &&
      isText((a as DraftAttachment).sha256) &&
      isAttachmentName((a as DraftAttachment).sha256) &&
      isText((a as DraftAttachment).filename) &&
      isText((a as DraftAttachment).mimeType) &&
      Number.isSafeInteger((a as DraftAttachment).size) &&
      (a as DraftAttachment).size >= 0,
  )
}

export function draftAddresses(text: string): Address[] {
  return listIn(text).filter(
    (a): a is Address =>
      typeof a === 'object' &&
      a !== null &&
      isText((a as Address).name) &&
      isText((a as Address).address),
  )
}

export function draftReferences(text: string): string[] {
  return listIn(text).filter(isText)
}
