/**
 * Preloaded into a vault node (NODE_OPTIONS=--import=…) to give it a clock
 * CAIRN_TEST_CLOCK_SKEW_MS milliseconds off, as a server whose time sync
 * failed: Date.now() and new Date() both read it. The database keeps the
 * real time.
 */
const skew = Number(process.env.CAIRN_TEST_CLOCK_SKEW_MS ?? 0)
const RealDate = Date
const realNow = RealDate.now.bind(RealDate)

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + skew)
    else super(...args)
  }

  static now() {
    return realNow() + skew
  }
}

globalThis.Date = SkewedDate
