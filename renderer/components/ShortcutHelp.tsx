import { useEffect } from 'react'
import { MOVEMENT_HELP, SHORTCUTS } from '../mail/shortcuts'

/** The "?" cheat sheet: every shortcut, read from the same table the keys use. */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' || event.key === '?') {
        event.preventDefault()
        onClose()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div
        className="dialog shortcut-help"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        onClick={(event) => event.stopPropagation()}
      >
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <table>
          <tbody>
            {[...SHORTCUTS.map((s) => [s.label, s.description] as const), ...MOVEMENT_HELP].map(
              ([keys, what]) => (
                <tr key={keys + what}>
                  <th scope="row">
                    <kbd>{keys}</kbd>
                  </th>
                  <td>{what}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  )
}
