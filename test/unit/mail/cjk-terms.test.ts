import { describe, expect, it } from 'vitest'
import {
  cjkMatch,
  cjkTerms,
  hasCjk,
  MAX_CJK_CHARS,
  nonCjkPart,
} from '../../../main/mail/search/cjk'

describe('CJK text for the index', () => {
  it('indexes each run as overlapping bigrams plus its last character', () => {
    expect(cjkTerms('明天的会议记录 ok')).toBe('明天 天的 的会 会议 议记 记录 录')
    expect(cjkTerms('東京 and 大阪')).toBe('東京 京 大阪 阪')
    expect(cjkTerms('会')).toBe('会')
    expect(cjkTerms('회의록을 확인')).toBe('회의 의록 록을 을 확인 인')
  })

  it('ignores text without CJK and normalises width', () => {
    expect(hasCjk('Grüße, naïve café')).toBe(false)
    expect(cjkTerms('Grüße')).toBe('')
    expect(cjkTerms('ｶﾀｶﾅ')).toBe('カタ タカ カナ ナ')
  })

  it('matches a word as the phrase of its bigrams, one character as a prefix', () => {
    expect(cjkMatch('会议')).toBe('"会议"')
    expect(cjkMatch('会议记录')).toBe('"会议 议记 记录"')
    expect(cjkMatch('会')).toBe('"会"*')
    expect(cjkMatch('budget')).toBeNull()
    expect(nonCjkPart('会议abc')).toBe('abc')
  })

  it('caps what one message puts into the index', () => {
    const huge = '字'.repeat(MAX_CJK_CHARS * 2)
    expect(cjkTerms(huge).split(' ').length).toBe(MAX_CJK_CHARS)
  })
})
