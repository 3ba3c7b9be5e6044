import { useState } from 'react'
import type { BackupSettingsView } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import {
  describeRetention,
  formFromRetention,
  PRESET_LABELS,
  retentionFromForm,
  type RetentionForm,
  type RetentionPresetName,
} from '../../backup/retention-form'

const CUSTOM_FIELDS: { key: keyof Omit<RetentionForm, 'choice'>; label: string }[] = [
  { key: 'keepLast', label: 'Keep the last (backups)' },
  { key: 'daily', label: 'Days with one backup each' },
  { key: 'weekly', label: 'Weeks with one backup each' },
  { key: 'monthly', label: 'Months with one backup each' },
]

/** How many old backups to keep: presets, or custom numbers (last N, daily, weekly, monthly). */
export function RetentionSection({ settings }: { settings: BackupSettingsView }) {
  const presets = settings.retentionPresets
  const [form, setForm] = useState<RetentionForm>(formFromRetention(settings.retention, presets))
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const parsed = retentionFromForm(form, presets)
  const update = (next: RetentionForm) => {
    setForm(next)
    setMessage(null)
  }
  const save = async () => {
    if (!parsed.ok) return
    try {
      await call('backup.configure', { retention: parsed.policy })
      setMessage({ ok: true, text: `Saved. ${describeRetention(parsed.policy)}` })
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) })
    }
  }
  return (
    <section className="settings-section" data-screen="retention" aria-labelledby="keep-title">
      <h3 id="keep-title">How many to keep</h3>
      <fieldset className="choices">
        <legend>Old backups to keep</legend>
        {(Object.keys(PRESET_LABELS) as RetentionPresetName[]).map((name) => (
          <label key={name} className="choice">
            <input
              type="radio"
              name="retention"
              checked={form.choice === name}
              onChange={() => update({ ...form, choice: name })}
            />
            {PRESET_LABELS[name]}
            <span className="muted"> — {describeRetention(presets[name])}</span>
          </label>
        ))}
        <label className="choice">
          <input
            type="radio"
            name="retention"
            checked={form.choice === 'custom'}
            onChange={() => update({ ...form, choice: 'custom' })}
          />
          Custom
        </label>
        {form.choice === 'custom' && (
          <div className="grid-fields">
            {CUSTOM_FIELDS.map(({ key, label }) => (
              <label key={key} className="field inline">
                <span>{label}</span>
                <input
                  type="number"
                  min={key === 'keepLast' ? 1 : 0}
                  value={form[key]}
                  onChange={(event) => update({ ...form, [key]: event.target.value })}
                />
              </label>
            ))}
          </div>
        )}
      </fieldset>
      {parsed.ok ? (
        <p className="muted">
          {describeRetention(parsed.policy)} Older ones are deleted after each backup.
        </p>
      ) : (
        <p className="error" role="alert">
          {parsed.problem}
        </p>
      )}
      <button type="button" className="primary" disabled={!parsed.ok} onClick={() => void save()}>
        Save what to keep
      </button>
      {message && (
        <p className={message.ok ? 'ok-text' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </section>
  )
}
