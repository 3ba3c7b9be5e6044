import { WEEKDAYS, type ScheduleForm, type ScheduleMode } from '../../backup/schedule-form'

const MODES: { mode: ScheduleMode; label: string }[] = [
  { mode: 'off', label: 'Off' },
  { mode: 'hours', label: 'Every few hours' },
  { mode: 'daily', label: 'Daily' },
  { mode: 'weekly', label: 'Weekly' },
]

/** The schedule's controls, shared by setting up and by the settings. */
export function ScheduleFields({
  form,
  onChange,
}: {
  form: ScheduleForm
  onChange: (form: ScheduleForm) => void
}) {
  return (
    <fieldset className="choices">
      <legend>Automatic backups</legend>
      <div className="row">
        {MODES.map(({ mode, label }) => (
          <label key={mode} className="choice">
            <input
              type="radio"
              name="schedule-mode"
              checked={form.mode === mode}
              onChange={() => onChange({ ...form, mode })}
            />
            {label}
          </label>
        ))}
      </div>
      {form.mode === 'hours' && (
        <label className="field inline">
          <span>Hours between backups</span>
          <input
            type="number"
            min={1}
            max={168}
            value={form.hours}
            onChange={(event) => onChange({ ...form, hours: event.target.value })}
          />
        </label>
      )}
      {form.mode === 'weekly' && (
        <label className="field inline">
          <span>Day of the week</span>
          <select
            value={form.weekday}
            onChange={(event) => onChange({ ...form, weekday: Number(event.target.value) })}
          >
            {WEEKDAYS.map((day, index) => (
              <option key={day} value={index}>
                {day}
              </option>
            ))}
          </select>
        </label>
      )}
      {(form.mode === 'daily' || form.mode === 'weekly') && (
        <label className="field inline">
          <span>Time of day</span>
          <input
            type="time"
            value={form.time}
            onChange={(event) => onChange({ ...form, time: event.target.value })}
          />
        </label>
      )}
    </fieldset>
  )
}
