// Migration 2: attached images, stored once by content (sha256), and the VQ-GAN codes cache.
// The bytes live in files under <dataDir>/images/<aa>/<sha256>.<ext> (written before the row, so a
// row always names a complete file); a row here is the image's identity and metadata. Codes are
// cached per (image, tokenizer weights): other weights give other codes, so the weights' content
// hash is part of the key, and re-sending a long history never re-encodes an image.
// Append-only: once released, never edit this file.
import type { Migration } from './types.ts';

export const migration0002: Migration = {
  version: 2,
  name: 'images',
  up(db) {
    db.exec(`
      CREATE TABLE images (
        sha256      TEXT    PRIMARY KEY CHECK (length(sha256) = 64),
        mime        TEXT    NOT NULL,
        width       INTEGER NOT NULL CHECK (width > 0),
        height      INTEGER NOT NULL CHECK (height > 0),
        bytes       INTEGER NOT NULL CHECK (bytes > 0),
        created_at  INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE image_codes (
        image_sha256    TEXT    NOT NULL REFERENCES images (sha256) ON DELETE CASCADE,
        -- sha256 of the tokenizer's weights file(s): the codes depend on them.
        weights_sha256  TEXT    NOT NULL CHECK (length(weights_sha256) = 64),
        -- 1024 little-endian int16 codes (the codebook has 8192 entries): 2 KiB per image.
        codes           BLOB    NOT NULL,
        created_at      INTEGER NOT NULL,
        PRIMARY KEY (image_sha256, weights_sha256)
      ) WITHOUT ROWID;
    `);
  },
};
