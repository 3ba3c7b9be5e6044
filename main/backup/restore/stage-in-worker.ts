import { osKeychain } from '../../keychain/keychain.js'
import { runJob } from '../../workers/job.js'
import { workerFile } from '../../workers/worker-file.js'
import {
  discardStaged,
  keychainProblem,
  type RestoreRequest,
  type StagedData,
  type StagedRestore,
} from './plan.js'
import { describeRestoreFailure } from './restore-errors.js'

/** What the stage worker is given: the backup's address, the profile, the key's secret (memory only). */
export interface StageJobInput {
  file: string
  profileDir: string
  keySecret: Uint8Array
}

export interface StageProgress {
  bytesDone: number
  bytesTotal: number
}

/**
 * stageRestore() in a worker thread (stage-worker.ts), for the app: the
 * same checks, files and errors, while this thread keeps serving the
 * window. Only the keychain check runs here (the secret store may be
 * this thread's own). A request with an open source or a step hook cannot
 * cross to a thread: the caller stages those in place.
 */
export async function stageRestoreInWorker(request: RestoreRequest): Promise<StagedRestore> {
  const input: StageJobInput = {
    file: request.file,
    profileDir: request.profileDir,
    keySecret: request.key.secret,
  }
  const data = await runJob<StageJobInput, StageProgress, StagedData>(
    workerFile('stage-worker'),
    input,
    { label: 'the restore', ...(request.onProgress ? { onProgress: request.onProgress } : {}) },
  )
  const secretStore = request.secretStore ?? osKeychain()
  const staged: StagedRestore = { ...data, request, secretStore }
  try {
    return {
      ...staged,
      confirmations: [...data.confirmations, ...keychainProblem(data.secrets, secretStore)],
    }
  } catch (error) {
    discardStaged(staged)
    throw describeRestoreFailure(error, staged.profileDir)
  }
}
