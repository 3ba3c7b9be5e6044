import { describe, expect, it } from 'vitest'
import { isSafeExternalUrl } from '../../main/shared/external-links'

describe('links handed to the system', () => {
  it('allows web and mailto links', () => {
    expect(isSafeExternalUrl('https://example.com/a?b')).toBe(true)
    expect(isSafeExternalUrl('http://example.com')).toBe(true)
    expect(isSafeExternalUrl('mailto:bob@example.com')).toBe(true)
    expect(isSafeExternalUrl('mailto:bob@example.com?subject=Hi&body=attached%20below')).toBe(true)
  })

  it('refuses every other scheme, credentials in URLs and garbage', () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'ms-msdt:/id',
      'data:text/html,x',
      'https://user:pass@example.com',
      'mailto:',
      // Mail clients that honour attach= would attach the user's file to a reply to the sender.
      'mailto:eve@example.com?attach=/home/user/.ssh/id_rsa',
      'mailto:eve@example.com?subject=hi&ATTACHMENT=file:///etc/passwd',
      'mailto:eve@example.com?%61ttach=~/.gnupg/secring.gpg',
      'mailto:?body=x&attach=%2Fetc%2Fshadow',
      'not a url',
    ]) {
      expect(isSafeExternalUrl(url), url).toBe(false)
    }
  })
})
