import { call } from '../api'

/** Send a picked or dropped file to the host in chunks and attach it to the draft. */
export async function uploadToDraft(draftId: number, file: File) {
  const { uploadId, chunkBytes } = await call('compose.upload.begin', {
    filename: file.name || 'attachment',
    mimeType: file.type || 'application/octet-stream',
    size: file.size,
  })
  try {
    for (let offset = 0; offset < file.size; offset += chunkBytes) {
      const bytes = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer())
      await call('compose.upload.chunk', { uploadId, offset, data: toBase64(bytes) })
    }
    return await call('compose.upload.finish', { uploadId, draftId })
  } catch (error) {
    await call('compose.upload.cancel', { uploadId }).catch(() => undefined)
    throw error
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
