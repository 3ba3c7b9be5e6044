/**
 * The keyboard set, Gmail's conventions (docs/decisions.md): one table
 * that both the key handler and the "?" cheat sheet read, so the sheet
 * cannot drift from what the keys do.
 */
export type ShortcutAction =
  | 'compose'
  | 'reply'
  | 'replyAll'
  | 'forward'
  | 'delete'
  | 'archive'
  | 'markUnread'
  | 'markRead'
  | 'star'
  | 'junk'
  | 'next'
  | 'previous'
  | 'nextUnread'
  | 'previousUnread'
  | 'undo'
  | 'selectAll'
  | 'viewSource'
  | 'search'
  | 'help'

export interface Shortcut {
  action: ShortcutAction
  /** Keys as KeyboardEvent.key; several mean "any of these". */
  keys: string[]
  /** As the cheat sheet writes them. */
  label: string
  description: string
  ctrl?: boolean
}

export const SHORTCUTS: Shortcut[] = [
  { action: 'compose', keys: ['c'], label: 'c', description: 'Write a new message' },
  { action: 'reply', keys: ['r'], label: 'r', description: 'Reply' },
  { action: 'replyAll', keys: ['a'], label: 'a', description: 'Reply all' },
  { action: 'forward', keys: ['f'], label: 'f', description: 'Forward' },
  {
    action: 'delete',
    keys: ['#', 'Delete'],
    label: '# or Delete',
    description: 'Delete (to Trash)',
  },
  { action: 'archive', keys: ['e'], label: 'e', description: 'Archive' },
  { action: 'markUnread', keys: ['U'], label: 'Shift+u', description: 'Mark unread' },
  { action: 'markRead', keys: ['I'], label: 'Shift+i', description: 'Mark read' },
  { action: 'star', keys: ['s'], label: 's', description: 'Star or unstar' },
  { action: 'junk', keys: ['!'], label: '!', description: 'Mark as junk' },
  { action: 'next', keys: ['j'], label: 'j', description: 'Next message' },
  { action: 'previous', keys: ['k'], label: 'k', description: 'Previous message' },
  { action: 'nextUnread', keys: ['n'], label: 'n', description: 'Next unread message' },
  { action: 'previousUnread', keys: ['p'], label: 'p', description: 'Previous unread message' },
  { action: 'undo', keys: ['z'], label: 'z', description: 'Undo the last action' },
  {
    action: 'selectAll',
    keys: ['a'],
    ctrl: true,
    label: 'Ctrl+a',
    description: 'Select all loaded messages',
  },
  {
    action: 'viewSource',
    keys: ['u'],
    ctrl: true,
    label: 'Ctrl+u',
    description: 'View the raw message',
  },
  { action: 'search', keys: ['/'], label: '/', description: 'Search' },
  { action: 'help', keys: ['?'], label: '?', description: 'Show these shortcuts' },
]

/** Also: j / k or the arrows move in the list, Tab moves between panes, Escape closes dialogs. */
export const MOVEMENT_HELP: [string, string][] = [
  ['↓ / ↑, Home / End', 'Move in the list'],
  ['→ or Enter / ←', 'Open / close a conversation (Conversations on)'],
  ['Shift+click, Ctrl+click', 'Select a range / one more message'],
  ['Tab / Shift+Tab', 'Move between panes'],
  ['Escape', 'Close a dialog or the compose panel'],
]

/** The action for a key press outside text fields, or null. */
export function shortcutFor(event: {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}): ShortcutAction | null {
  if (event.altKey) return null
  const ctrl = event.ctrlKey || event.metaKey
  const found = SHORTCUTS.find((s) => s.keys.includes(event.key) && Boolean(s.ctrl) === ctrl)
  return found?.action ?? null
}

/** Whether a key press is typing (in a field or the editor), where shortcuts stay out of the way. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    target.isContentEditable
  )
}
