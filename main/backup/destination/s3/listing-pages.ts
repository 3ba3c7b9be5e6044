import { destinationError } from '../destination-errors.js'

/**
 * Most pages and keys one listing reads. A Cairn folder holds a few hundred
 * objects (backups, sidecars, markers); S3 answers up to 1,000 keys a page.
 * A server that keeps saying "there is more" (broken, or hostile: the bucket
 * may be anyone's S3-compatible service) would otherwise keep a backup,
 * restore or cleanup listing forever while its memory grew.
 */
export const MAX_LISTING_PAGES = 1_000
export const MAX_LISTED_KEYS = 100_000

/**
 * The paging of one S3 listing (ListObjectsV2's continuation token,
 * ListMultipartUploads' key and upload-id markers): says when to stop, and
 * fails with an error naming the destination when the server asks for a
 * page it already gave, gives no marker to go on from, or has given more
 * than any Cairn folder holds.
 */
export class ListingPages {
  private pages = 0
  private keys = 0
  private readonly seen = new Set<string>()

  constructor(
    private readonly label: string,
    /** What is listed, for the message: "the bucket", "unfinished uploads". */
    private readonly what: string,
  ) {}

  /**
   * Counts a page of `keys` entries; `truncated` and `marker` are what it said of
   * the next page. True: ask for the page at `marker`; false: the listing is complete.
   */
  more(keys: number, truncated: boolean | undefined, marker: string | undefined): boolean {
    this.pages++
    this.keys += keys
    if (!truncated) return false
    if (!marker) throw this.refuse('it says the listing goes on but not where it goes on from')
    if (this.seen.has(marker))
      throw this.refuse(`it sends page ${this.pages + 1} from a point it already gave (a loop)`)
    if (this.pages >= MAX_LISTING_PAGES || this.keys >= MAX_LISTED_KEYS)
      throw this.refuse(
        `it still says there is more after ${this.pages} pages and ${this.keys} keys, more than a Cairn folder holds`,
      )
    this.seen.add(marker)
    return true
  }

  private refuse(why: string) {
    return destinationError(
      'DESTINATION_SERVER',
      this.label,
      `the server's listing of ${this.what} does not end: ${why}. Cairn stopped reading it. Check that the endpoint is an S3-compatible service working normally, and that the prefix is a folder for backups only.`,
    )
  }
}
