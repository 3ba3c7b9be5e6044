/**
 * Chinese, Japanese and Korean text for the full-text index. FTS5's
 * unicode61 tokenizer splits on spaces and punctuation, so a run of CJK
 * characters ("明天的会议记录") becomes one token and a word inside it
 * ("会议") is never found. The extra index (message_terms) holds each run
 * as overlapping bigrams ("明天 天的 的会 会议 议记 记录", plus the run's
 * last character alone), the scheme of Lucene's CJKAnalyzer: any word of
 * two or more characters is a phrase of consecutive bigrams, and a single
 * character is a prefix of a bigram (or the lone last character).
 * FTS5's trigram tokenizer was not used: it cannot match a two-character
 * query, and most CJK words have two characters.
 */

const RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005]+/gu
const ANY = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u

/** CJK text indexed per message at most (a hostile message must not bloat the index). */
export const MAX_CJK_CHARS = 256 * 1024

export function hasCjk(text: string): boolean {
  return ANY.test(text)
}

/** The bigram terms of every CJK run in `text`, separated by spaces (for the cjk column). */
export function cjkTerms(text: string): string {
  if (!hasCjk(text)) return ''
  const out: string[] = []
  let budget = MAX_CJK_CHARS
  for (const match of text.normalize('NFKC').matchAll(RUN)) {
    const run = [...match[0]]
    if (run.length > budget) run.length = budget
    budget -= run.length
    for (const gram of bigramsOf(run)) out.push(gram)
    if (budget <= 0) break
  }
  return out.join(' ')
}

function bigramsOf(chars: string[]): string[] {
  if (chars.length === 1) return [chars[0] as string]
  const grams: string[] = []
  for (let i = 0; i + 1 < chars.length; i++) grams.push(`${chars[i]}${chars[i + 1]}`)
  // The last character alone, so a one-character search finds it at the end of a run too.
  grams.push(chars[chars.length - 1] as string)
  return grams
}

/**
 * How a searched word is matched in the bigram column: one character is a
 * prefix query, a longer run a phrase of its consecutive bigrams. Returns
 * an FTS5 expression (already quoted), or null for a word with no CJK.
 */
export function cjkMatch(word: string): string | null {
  const runs = word.normalize('NFKC').match(RUN)
  if (!runs) return null
  const parts = runs.map((run) => {
    const chars = [...run]
    if (chars.length === 1) return `"${chars[0]}"*`
    const grams: string[] = []
    for (let i = 0; i + 1 < chars.length; i++) grams.push(`${chars[i]}${chars[i + 1]}`)
    return `"${grams.join(' ')}"`
  })
  return parts.join(' ')
}

/** The part of a word outside its CJK runs ("会议abc" → "abc"), searched in the main index. */
export function nonCjkPart(word: string): string {
  return word.normalize('NFKC').replace(RUN, ' ').trim()
}
