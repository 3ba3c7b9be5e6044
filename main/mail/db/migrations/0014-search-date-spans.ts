import type { Migration } from '../migration.js'

/**
 * Search, issue 11: after:/before: beside words without reading the whole
 * date range.
 *
 * A search with a date range walks the text matches between the lowest and
 * the highest id of the messages in the range (search-messages.ts idRange).
 * Finding those two ids read every message of the range from a date index:
 * about 0.3 µs each, so a range of years over 150,000 messages cost tens of
 * milliseconds (and an index on (date, id) reads the same entries: min and
 * max of another column over a range is no B-tree lookup).
 *
 * `message_date_spans` keeps, for each block of 1,024 consecutive ids, the
 * earliest and the latest date stored in it. The highest id in a range is
 * then found in the top block whose span meets the range (reading at most
 * that block's 1,024 entries of the id index), the lowest likewise from the
 * bottom. Spans only widen (a delete or a date change leaves them as they
 * were): a span wider than its messages costs a wasted look into a block,
 * never a missed message, because the block itself is read to decide.
 */
export const searchDateSpans: Migration = {
  version: 14,
  name: 'search: date spans of id blocks',
  up(db) {
    db.exec(`
      CREATE TABLE message_date_spans (
        block INTEGER PRIMARY KEY,
        first_date INTEGER NOT NULL,
        last_date INTEGER NOT NULL
      ) STRICT;

      INSERT INTO message_date_spans (block, first_date, last_date)
        SELECT id >> 10, min(date), max(date) FROM messages GROUP BY id >> 10;

      CREATE TRIGGER message_date_spans_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_date_spans (block, first_date, last_date)
          VALUES (NEW.id >> 10, NEW.date, NEW.date)
          ON CONFLICT (block) DO UPDATE SET
            first_date = min(first_date, excluded.first_date),
            last_date = max(last_date, excluded.last_date);
      END;
      CREATE TRIGGER message_date_spans_date AFTER UPDATE OF date ON messages BEGIN
        INSERT INTO message_date_spans (block, first_date, last_date)
          VALUES (NEW.id >> 10, NEW.date, NEW.date)
          ON CONFLICT (block) DO UPDATE SET
            first_date = min(first_date, excluded.first_date),
            last_date = max(last_date, excluded.last_date);
      END;
    `)
  },
}
