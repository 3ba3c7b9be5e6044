import { describe, expect, it } from 'vitest'
import { buildFtsQuery } from '../../main/mail/store/search'

describe('FTS query from typed text', () => {
  it('matches every word and the last one as a prefix', () => {
    expect(buildFtsQuery('quarterly budg')).toBe('"quarterly" "budg"*')
  })

  it('does not treat a one-letter last word as a prefix', () => {
    expect(buildFtsQuery('plan b')).toBe('"plan" "b"')
  })

  it('neutralises FTS5 syntax: operators, quotes, column filters', () => {
    expect(buildFtsQuery('subject:"NOT" OR (x')).toBe('"subject" "NOT" "OR" "x"')
    expect(buildFtsQuery('a*b^c')).toBe('"a" "b" "c"')
  })

  it('keeps non-Latin words', () => {
    expect(buildFtsQuery('Grüße 東京')).toBe('"Grüße" "東京"*')
  })

  it('returns null when nothing searchable was typed', () => {
    expect(buildFtsQuery('  ')).toBeNull()
    expect(buildFtsQuery('"*()"')).toBeNull()
  })
})
