import type { RetentionPolicy } from '../../main/backup/destination/retention'

export type RetentionPresetName = 'few' | 'standard' | 'many'

export const PRESET_LABELS: Record<RetentionPresetName, string> = {
  few: 'Keep a few',
  standard: 'Standard',
  many: 'Keep many',
}

export interface RetentionForm {
  choice: RetentionPresetName | 'custom'
  keepLast: string
  daily: string
  weekly: string
  monthly: string
}

/** Which preset a policy is (or custom), with its numbers filled in for editing. */
export function formFromRetention(
  policy: RetentionPolicy,
  presets: Record<RetentionPresetName, RetentionPolicy>,
): RetentionForm {
  const match = (Object.keys(presets) as RetentionPresetName[]).find((name) => {
    const p = presets[name]
    return (
      p.keepLast === policy.keepLast &&
      p.daily === policy.daily &&
      p.weekly === policy.weekly &&
      p.monthly === policy.monthly
    )
  })
  return {
    choice: match ?? 'custom',
    keepLast: String(policy.keepLast),
    daily: String(policy.daily),
    weekly: String(policy.weekly),
    monthly: String(policy.monthly),
  }
}

/** The policy the form describes, or what is wrong. */
export function retentionFromForm(
  form: RetentionForm,
  presets: Record<RetentionPresetName, RetentionPolicy>,
): { ok: true; policy: RetentionPolicy } | { ok: false; problem: string } {
  if (form.choice !== 'custom') return { ok: true, policy: presets[form.choice] }
  const fields: [keyof RetentionPolicy, string, number][] = [
    ['keepLast', 'Keep the last', 1],
    ['daily', 'Daily backups', 0],
    ['weekly', 'Weekly backups', 0],
    ['monthly', 'Monthly backups', 0],
  ]
  const policy = { keepLast: 0, daily: 0, weekly: 0, monthly: 0 }
  for (const [key, label, min] of fields) {
    const text = form[key].trim()
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > 10_000)
      return {
        ok: false,
        problem: `${label}: give a whole number${min > 0 ? ` from ${min}` : ''} (up to 10000).`,
      }
    policy[key] = value
  }
  return { ok: true, policy }
}

/** "the last 3, plus one a day for 7 days, one a week for 4 weeks and one a month for 12 months". */
export function describeRetention(policy: RetentionPolicy): string {
  const parts = [
    policy.daily > 0 ? `one a day for ${policy.daily} day${policy.daily === 1 ? '' : 's'}` : null,
    policy.weekly > 0
      ? `one a week for ${policy.weekly} week${policy.weekly === 1 ? '' : 's'}`
      : null,
    policy.monthly > 0
      ? `one a month for ${policy.monthly} month${policy.monthly === 1 ? '' : 's'}`
      : null,
  ].filter((p): p is string => p !== null)
  const last = `the last ${policy.keepLast}`
  if (parts.length === 0) return `Keeps ${last}.`
  const joined =
    parts.length === 1
      ? parts[0]
      : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
  return `Keeps ${last}, plus ${joined}.`
}

/** How many backups the policy keeps at most. */
export function maxKept(policy: RetentionPolicy): number {
  return policy.keepLast + policy.daily + policy.weekly + policy.monthly
}
