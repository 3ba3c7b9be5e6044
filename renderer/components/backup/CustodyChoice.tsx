export type Custody = 'keychain' | 'user' | 'vault'

const OPTIONS: { custody: Custody; label: string; detail: string }[] = [
  {
    custody: 'keychain',
    label: "This computer's keychain (recommended)",
    detail:
      'Backups and restores on this computer need nothing from you. Write the key down too: if this computer is lost, the keychain goes with it.',
  },
  {
    custody: 'user',
    label: 'Written down by me',
    detail:
      'Cairn shows the 64-digit key once; you keep it on paper. Restoring, and checking a backup fully, asks for it.',
  },
  {
    custody: 'vault',
    label: 'Behind a password, in a Backup Key Vault',
    detail:
      'A vault server keeps the key; your password gets it back on any computer. Wrong passwords are limited: after 10 the key is destroyed.',
  },
]

/** Where the backup key is kept: the three custodies, with what each means. */
export function CustodyChoice({
  value,
  onChange,
  legend = 'Where your backup key is kept',
}: {
  value: Custody
  onChange: (custody: Custody) => void
  legend?: string
}) {
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {OPTIONS.map((option) => (
        <label key={option.custody} className="choice block">
          <input
            type="radio"
            name={`custody-${legend}`}
            checked={value === option.custody}
            onChange={() => onChange(option.custody)}
          />
          <span>
            {option.label}
            <span className="muted small-print block">{option.detail}</span>
          </span>
        </label>
      ))}
    </fieldset>
  )
}
