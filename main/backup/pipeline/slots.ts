/**
 * A few fixed buffers in shared memory through which one thread hands bytes
 * to another: the writer fills a free slot, sends its number, and gets the
 * slot back when the reader is done with it. No allocation per buffer, so no
 * garbage piling up in either thread while gigabytes pass.
 */
export const SLOT_BYTES = 1 << 20
export const SLOT_COUNT = 8

export function createSlots(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOT_BYTES * SLOT_COUNT)
}

export function slotView(shared: SharedArrayBuffer, slot: number, length = SLOT_BYTES): Buffer {
  return Buffer.from(shared, slot * SLOT_BYTES, length)
}

/** Messages to the seal worker and its answers. */
export type SealRequest = { type: 'data'; slot: number; length: number } | { type: 'end' }
