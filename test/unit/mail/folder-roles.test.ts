import { describe, expect, it } from 'vitest'
import { folderRoles, type ListedFolder } from '../../../main/mail/sync/folder-roles'

/** A LIST entry as imapflow gives it: flags from the server, and imapflow's own guess. */
const folder = (
  path: string,
  flags: string[] = [],
  guess?: { specialUse: string; source: 'extension' | 'name' },
  delimiter = '.',
): ListedFolder => ({
  path,
  delimiter,
  flags: new Set(['\\HasNoChildren', ...flags]),
  specialUse: guess?.specialUse,
  specialUseSource: guess?.source,
})

describe('folderRoles', () => {
  it('prefers the folder the server flags over one whose name says so', () => {
    const roles = folderRoles([
      folder('INBOX'),
      folder('Sent', [], { specialUse: '\\Sent', source: 'name' }),
      folder('Sent Items', ['\\Sent']),
    ])
    expect(roles.get('Sent Items')).toBe('\\Sent')
    expect(roles.has('Sent')).toBe(false)
  })

  it('counts INBOX’s children as top level, and prefers the fewest levels', () => {
    const roles = folderRoles([
      folder('INBOX'),
      folder('Archive.Old.Sent', ['\\Sent']),
      folder('INBOX.Sent', ['\\Sent']),
      folder('INBOX.Projects.Drafts', ['\\Drafts']),
      folder('Work.Drafts', ['\\Drafts']),
    ])
    expect(roles.get('INBOX.Sent')).toBe('\\Sent')
    // Both two levels below the root; then fewer levels in all.
    expect(roles.get('Work.Drafts')).toBe('\\Drafts')
    expect(roles.get('INBOX')).toBe('\\Inbox')
  })

  it('without server flags, goes by the names, an exact one first, the same way', () => {
    // imapflow names only one of these (its pick); every named folder is a candidate here.
    const roles = folderRoles([
      folder('INBOX'),
      folder('Sent Mail'),
      folder('Papierkorb'),
      folder('Trash'),
      folder('Sent', [], { specialUse: '\\Sent', source: 'name' }),
    ])
    expect(roles.get('Sent')).toBe('\\Sent')
    expect(roles.get('Papierkorb')).toBe('\\Trash')
    expect(roles.has('Sent Mail')).toBe(false)
    expect(roles.has('Trash')).toBe(false)
  })

  it('breaks ties by character codes, not by a language’s collation', () => {
    const roles = folderRoles([folder('trash', ['\\Trash']), folder('Trash', ['\\Trash'])])
    expect([...roles]).toEqual([['Trash', '\\Trash']])
  })

  it('gives a folder flagged for two roles one of them, the other to the next folder', () => {
    const roles = folderRoles([
      folder('Archive', ['\\Sent', '\\Archive']),
      folder('Zz Archive', ['\\Archive']),
    ])
    expect(roles.get('Archive')).toBe('\\Sent')
    expect(roles.get('Zz Archive')).toBe('\\Archive')
  })
})
