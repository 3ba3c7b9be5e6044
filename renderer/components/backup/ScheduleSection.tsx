import { useState } from 'react'
import type { BackupSettingsView, BackupStatus } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import {
  describeSchedule,
  formFromPolicy,
  policyFromForm,
  type ScheduleForm,
} from '../../backup/schedule-form'
import { timeView } from '../../backup/status-view'
import { ScheduleFields } from './ScheduleFields'

/** When automatic backups run: off, every N hours, daily at a time, weekly on a day. */
export function ScheduleSection({
  settings,
  status,
}: {
  settings: BackupSettingsView
  status: BackupStatus | null
}) {
  const [form, setForm] = useState<ScheduleForm>(formFromPolicy(settings.schedule))
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const parsed = policyFromForm(form)
  const next = timeView(status?.nextRunAt ?? null, new Date())
  const save = async () => {
    if (!parsed.ok) return
    setMessage(null)
    try {
      await call('backup.configure', { schedule: parsed.policy })
      setMessage({ ok: true, text: `Saved: backups run ${describeSchedule(parsed.policy)}.` })
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) })
    }
  }
  return (
    <section className="settings-section" data-screen="schedule" aria-labelledby="schedule-title">
      <h3 id="schedule-title">When</h3>
      <p className="muted">
        Now: {describeSchedule(settings.schedule)}
        {next && settings.schedule ? ` · next ${next.relative} (${next.absolute})` : ''}. A backup
        missed while the computer was off or asleep is made up when Cairn next runs.
      </p>
      <ScheduleFields
        form={form}
        onChange={(f) => {
          setForm(f)
          setMessage(null)
        }}
      />
      {!parsed.ok && (
        <p className="error" role="alert">
          {parsed.problem}
        </p>
      )}
      <button type="button" className="primary" disabled={!parsed.ok} onClick={() => void save()}>
        Save schedule
      </button>
      {message && (
        <p className={message.ok ? 'ok-text' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </section>
  )
}
