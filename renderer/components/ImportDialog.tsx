import { useEffect, useRef, useState } from 'react'
import type { AppInfo, EventPayloads } from '../../main/ipc/contract'
import type { ImportReport } from '../../main/mail/import/import-types'
import { call, errorMessage, on } from '../api'

type Progress = EventPayloads['mail.import.progress']

/**
 * Choose mbox files or folders of .eml files and import them, with progress
 * and a report of anything skipped. Paths can be typed (one per line) or,
 * in the desktop app, picked with the system dialog.
 */
export function ImportDialog({ info, onClose }: { info: AppInfo; onClose: () => void }) {
  const [paths, setPaths] = useState('')
  const [jobId, setJobId] = useState<string | null>(null)
  const [progress, setProgress] = useState<Progress | null>(null)
  const [report, setReport] = useState<ImportReport | null>(null)
  const [error, setError] = useState<string | null>(null)
  const jobRef = useRef<string | null>(null)
  const inputRef = useRef<HTMLTextAreaElement>(null)

  useEffect(() => {
    inputRef.current?.focus()
    const offProgress = on('mail.import.progress', (p) => {
      if (p.jobId === jobRef.current) setProgress(p)
    })
    const offFinished = on('mail.import.finished', (result) => {
      if (result.jobId !== jobRef.current) return
      jobRef.current = null
      setJobId(null)
      if (result.report) setReport(result.report)
      if (result.error) setError(result.error.message)
    })
    return () => {
      offProgress()
      offFinished()
    }
  }, [])

  const list = paths
    .split('\n')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)

  const start = async () => {
    setError(null)
    setReport(null)
    setProgress(null)
    try {
      const { jobId: id } = await call('mail.import.start', { paths: list })
      jobRef.current = id
      setJobId(id)
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  const browse = async () => {
    try {
      const picked = await call('app.pickImportSources', {})
      if (picked) setPaths(picked.join('\n'))
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  const running = jobId !== null
  const percent =
    progress && progress.bytesTotal > 0
      ? Math.min(100, (progress.bytesDone / progress.bytesTotal) * 100)
      : 0

  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="import-title">
        <h2 id="import-title">Import mail</h2>
        {!running && !report && (
          <>
            <label htmlFor="import-paths">
              mbox files, or folders of .eml files (one per line). Thunderbird keeps its mbox files
              in its profile&apos;s Mail folder.
            </label>
            <textarea
              id="import-paths"
              ref={inputRef}
              rows={3}
              value={paths}
              spellCheck={false}
              placeholder="/home/me/export/Inbox.mbox"
              onChange={(event) => setPaths(event.target.value)}
            />
            {info.capabilities.nativeDialogs && (
              <button type="button" onClick={() => void browse()}>
                Browse…
              </button>
            )}
          </>
        )}
        {running && (
          <div className="import-progress" aria-live="polite">
            <progress max={100} value={percent} aria-label="Import progress" />
            <p>
              {progress
                ? `${progress.imported.toLocaleString()} messages imported` +
                  (progress.duplicates
                    ? `, ${progress.duplicates.toLocaleString()} already there`
                    : '') +
                  (progress.skipped ? `, ${progress.skipped.toLocaleString()} skipped` : '')
                : 'Starting…'}
            </p>
            {progress?.source && <p className="muted ellipsis">{progress.source}</p>}
          </div>
        )}
        {report && <ImportSummary report={report} />}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          {running ? (
            <button
              type="button"
              onClick={() => jobId && void call('mail.import.cancel', { jobId })}
            >
              Cancel import
            </button>
          ) : report ? (
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          ) : (
            <>
              <button type="button" onClick={onClose}>
                Close
              </button>
              <button
                type="button"
                className="primary"
                disabled={list.length === 0}
                onClick={() => void start()}
              >
                Import
              </button>
            </>
          )}
        </div>
      </div>
    </div>
  )
}

function ImportSummary({ report }: { report: ImportReport }) {
  return (
    <div className="import-summary" role="status">
      <p>
        <strong>{report.cancelled ? 'Import cancelled.' : 'Import finished.'}</strong>{' '}
        {report.imported.toLocaleString()} messages imported
        {report.folders.length > 0 && ` into ${report.folders.join(', ')}`}.
        {report.duplicates > 0 && ` ${report.duplicates.toLocaleString()} were already in Cairn.`}
      </p>
      {report.emptyReason && <p className="import-empty-reason">{report.emptyReason}</p>}
      {report.skipped.length > 0 && (
        <details open={report.skipped.length <= 5}>
          <summary>{report.skipped.length.toLocaleString()} skipped</summary>
          <ul className="skipped">
            {report.skipped.slice(0, 200).map((s, index) => (
              <li key={index}>
                {s.source}
                {s.position && `, ${s.position}`}: {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
