import { CairnError } from '../shared/errors.js'
import { runJob } from '../workers/job.js'
import { workerFile } from '../workers/worker-file.js'
import type { VaultClientOptions } from './client.js'

/**
 * A vault registration or recovery, run in a worker thread (vault-worker.ts):
 * OPAQUE stretches the password with argon2id for a few hundred
 * milliseconds, which must not freeze the window. The password and the key
 * cross to the thread in memory only.
 */
export type VaultJob =
  | { op: 'register'; password: string; backupKey: Uint8Array; maxGuesses?: number }
  | { op: 'recover'; recordId: string; password: string }

export type VaultJobResult =
  { op: 'register'; recordId: string } | { op: 'recover'; backupKey: Uint8Array }

export interface VaultJobInput {
  job: VaultJob
  client: Omit<VaultClientOptions, 'ca'> & { ca?: Uint8Array }
}

export async function runVaultJob(
  client: VaultClientOptions,
  job: Extract<VaultJob, { op: 'register' }>,
): Promise<Extract<VaultJobResult, { op: 'register' }>>
export async function runVaultJob(
  client: VaultClientOptions,
  job: Extract<VaultJob, { op: 'recover' }>,
): Promise<Extract<VaultJobResult, { op: 'recover' }>>
export async function runVaultJob(
  client: VaultClientOptions,
  job: VaultJob,
): Promise<VaultJobResult> {
  return runJob<VaultJobInput, never, VaultJobResult>(
    workerFile('vault-worker'),
    { job, client },
    {
      label: 'the Backup Key Vault request',
      // A login that hangs on a dead network is bounded by the HTTP timeout; this only frees the thread.
      stopAfterCancelMs: 5_000,
      stoppedReason: () =>
        new CairnError('VAULT_UNREACHABLE', 'The Backup Key Vault request was stopped.'),
    },
  )
}
