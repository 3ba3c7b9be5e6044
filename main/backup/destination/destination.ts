import type { Readable, Writable } from 'node:stream'
import type { Sidecar } from './sidecar.js'

/**
 * Where backups are kept: a local folder, an S3-compatible bucket, a WebDAV
 * collection or an SFTP folder. Everything the backup engine does to a
 * destination (backup, list, verify, restore, retention) goes through this
 * interface; nothing above it touches the storage directly.
 *
 * Guarantees every implementation keeps (see docs/destinations.md):
 * - A backup appears under its real name only when complete: bytes go to a
 *   temporary name (or an unfinished multipart upload), and commit() makes
 *   them visible in one atomic step.
 * - commit() never replaces an existing backup: a taken name (or one whose
 *   sidecar exists) moves on to <time>-1, <time>-2 …
 * - The sidecar is written after the backup it describes. A crash between
 *   the two is completed by the next cleanup() (the sidecar waited beside
 *   the temporary data).
 * - Only names that follow Cairn's naming are listed, read or removed;
 *   anything else in the destination (others' files, half-written objects,
 *   hostile names) is ignored and never touched.
 * - Failures are CairnErrors whose message names the destination and says
 *   what to do; no message, log line or error carries a secret.
 */
export interface Destination {
  readonly kind: DestinationKind
  /** Where, for messages (`s3://bucket/prefix`, a folder path …); never holds a secret. */
  readonly label: string

  /** Reachable, the credentials accepted, and allowed to write, list, read and delete there. */
  test(): Promise<DestinationTestReport>

  /**
   * Cheap checks before a backup reads anything of the profile: a folder
   * exists, may be written and is not inside the profile (each backup would
   * carry all the earlier ones). Remote kinds find out when they connect.
   */
  checkUsable(context: { profileDir: string }): Promise<void>

  /** Where backup `name` is, for messages and reports: a path or a URL (never a secret). */
  locate(name: string): string

  /**
   * Start writing a new backup. Pipe the encrypted stream into `stream`, then
   * call commit(); on any failure call abort().
   */
  startBackup(createdAt: Date, options?: StartBackupOptions): Promise<BackupUpload>

  /** Cairn's backups in this destination, oldest first, each with its sidecar if readable. */
  list(): Promise<DestinationBackup[]>

  /** The sidecar of backup `name`, or null when it is missing, unreadable or not Cairn's. */
  readSidecar(name: string): Promise<Sidecar | null>
  /** Write (or replace) the sidecar of backup `name`, atomically. */
  writeSidecar(name: string, sidecar: Sidecar): Promise<void>

  /** Size of backup `name`, or null when there is no such backup. */
  stat(name: string): Promise<{ size: number } | null>
  /** The bytes of backup `name` (or of `range`, inclusive byte offsets), streamed. */
  read(name: string, range?: ByteRange): Promise<Readable>

  /** Remove backup `name` and its sidecar. Only Cairn's backup names are accepted. */
  remove(name: string): Promise<void>

  /**
   * Clean up after writers that crashed: remove their temporary data (abort
   * their multipart uploads), and complete a backup whose sidecar was still
   * waiting. Never touches what a live writer is writing.
   */
  cleanup(options?: { now?: number }): Promise<CleanupReport>

  /** Release connections (SFTP sessions, HTTP agents). */
  close(): Promise<void>
}

export type DestinationKind = 'folder' | 's3' | 'webdav' | 'sftp'

export interface StartBackupOptions {
  signal?: AbortSignal
  /** Upper bound on upload speed, in bytes per second (null or absent: no limit). */
  bandwidthLimit?: number | null
}

export interface BackupUpload {
  /** Where the encrypted bytes go. Ends (pipeline finishes it) before commit(). */
  readonly stream: Writable
  /**
   * Make the backup visible under its real name (exclusively), then write its
   * sidecar (its `file` is set to that name). Returns the name it got and the size the
   * destination holds, which is checked against the bytes written.
   */
  commit(sidecar: Sidecar): Promise<CommittedBackup>
  /** Drop the temporary data (best effort; cleanup() finishes the job after a crash). */
  abort(): Promise<void>
}

export interface CommittedBackup {
  name: string
  size: number
}

export interface ByteRange {
  start: number
  /** Inclusive; absent: to the end. */
  end?: number
}

export interface DestinationBackup {
  name: string
  createdAt: Date
  size: number
  modifiedAt: Date | null
  /** Null when the sidecar is missing, unreadable or describes another file. */
  sidecar: Sidecar | null
  /** A readable sidecar that names this file and its exact size. */
  complete: boolean
  /**
   * The file a readable sidecar beside it names (this one's name, or
   * another when it was renamed or its sidecar edited); null without one.
   */
  sidecarNames: string | null
}

export interface DestinationTestReport {
  label: string
  /** What was checked, in order, for display ("listed", "wrote a test file" …). */
  checks: string[]
  /** Facts worth showing: server, versioning, object lock, host key … */
  details: Record<string, string>
}

export interface CleanupReport {
  /** Temporary files (or multipart uploads) removed. */
  removed: string[]
  /** Backups whose waiting sidecar was put in place. */
  completed: string[]
}
