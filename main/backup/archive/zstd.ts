import { availableParallelism } from 'node:os'
import { CompressStream, DecompressStream } from 'zstd-napi'

/**
 * zstd at level 1, as `zstd -1` would write it, so `zstd -d` reads the
 * result. Compression runs in zstd's own threads (one frame, compressed in
 * parallel jobs), leaving the JavaScript thread free for encryption.
 */
export function zstdCompressStream(): CompressStream {
  return new CompressStream({
    compressionLevel: 1,
    nbWorkers: Math.max(1, Math.min(4, availableParallelism())),
    checksumFlag: true,
  })
}

export function zstdDecompressStream(): DecompressStream {
  return new DecompressStream()
}
