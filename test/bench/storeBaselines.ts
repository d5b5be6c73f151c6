// The store's queries as they were before issue 14, kept here only so `npm run bench:store` can
// print the new ones next to them from the same run.

/** Search ranked by bm25 among the 1 000 newest matches: bm25 counts every row of each term first. */
export const BASELINE_SEARCH_SQL = `WITH recent AS (
    SELECT rowid AS part_id, bm25(message_parts_fts) AS score FROM message_parts_fts
    WHERE message_parts_fts MATCH @match ORDER BY rowid DESC LIMIT 1000
  ), best AS (
    SELECT r.part_id, r.score, p.message_id,
      row_number() OVER (PARTITION BY p.message_id ORDER BY r.score, r.part_id) AS nth
    FROM recent r
    JOIN message_parts p ON p.id = r.part_id
  ), top AS (
    SELECT b.part_id, b.score, m.id AS message_id, m.conversation_id, c.title, m.role, m.created_at
    FROM best b
    CROSS JOIN messages m ON m.id = b.message_id
    CROSS JOIN conversations c ON c.id = m.conversation_id
    WHERE b.nth = 1 AND c.deleted_at IS NULL
    ORDER BY b.score, m.created_at DESC, m.id DESC
    LIMIT @limit
  )
  SELECT top.message_id, top.conversation_id, top.title, top.role, top.created_at,
    snippet(message_parts_fts, 0, char(2), char(3), '…', 16) AS snippet
  FROM top CROSS JOIN message_parts_fts f ON f.rowid = top.part_id
  WHERE message_parts_fts MATCH @match
  ORDER BY top.score, top.created_at DESC, top.message_id DESC`;

/** The count the chat summary made on every open. */
export const BASELINE_COUNT_SQL = `SELECT count(*) AS n FROM messages WHERE conversation_id = ?`;
