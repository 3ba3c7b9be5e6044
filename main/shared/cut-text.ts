/**
 * The longest start of `text` at most `units` UTF-16 code units long that
 * ends on a whole code point. String#slice counts code units: cutting
 * between the two halves of a surrogate pair (an emoji, a rare CJK
 * character) would leave a lone surrogate, which is no character at all:
 * file systems refuse it or store a replacement, and it shows as garbage.
 */
export function cutToUnits(text: string, units: number): string {
  if (units <= 0) return ''
  if (text.length <= units) return text
  const last = text.charCodeAt(units - 1)
  const splitsPair = last >= 0xd800 && last <= 0xdbff
  return text.slice(0, splitsPair ? units - 1 : units)
}
