/*
 * core/src/journal.h - append-only local journal of store records (segments + checkpoint)
 * SPDX-License-Identifier: MIT
 *
 * A journal directory holds segment files `seg-<20-digit number>.jsonl` (one JSON record per line),
 * a `checkpoint` file ("<segment> <offset>\n": everything before that point is stored in PostgreSQL),
 * a `lock` file (flock: one process per journal directory) and `rejected.jsonl` (records PostgreSQL
 * refused as invalid data, kept for an operator).
 *
 * Writers (any thread) append one complete line with a single write(2) on an O_APPEND descriptor; no
 * fsync on that path. One reader (the store thread) reads complete lines in file order from the
 * checkpoint on, and advances the checkpoint after the records are committed. Fully consumed segments
 * are deleted, so a caught-up journal shrinks to one small segment (rotation is the compaction).
 */
#ifndef LF_CORE_JOURNAL_H
#define LF_CORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <lafactoria/plugin.h>

struct lf_journal;

/** A position in the journal: segment number and byte offset inside it. */
struct lf_journal_pos {
    uint64_t seg;
    uint64_t off;
};

/** Complete lines read by lf_journal_read(); buffers are owned by the journal until the next read. */
struct lf_journal_batch {
    size_t count;               /* number of lines */
    const char **lines;         /* each points at a line (without its '\n') */
    size_t *lens;               /* line lengths */
    struct lf_journal_pos end;  /* position just after the last line */
    size_t skipped_torn;        /* bytes of a torn final line skipped in a finished segment */
};

/**
 * Open (create) the journal in `dir`. A new write segment is started after any existing ones, so lines
 * of a previous process are all in finished segments. `segment_max_bytes` is the rotation size.
 * `backlog` (may be NULL) receives the number of complete lines after the checkpoint (to be replayed).
 * Returns LF_OK, LF_EIO (message in err) or LF_EINVAL (directory locked by another process).
 */
enum lf_err lf_journal_open(const char *dir, uint64_t segment_max_bytes, struct lf_journal **out,
                            uint64_t *backlog, char *err, size_t errlen);

/** Close the journal (no fsync: call lf_journal_sync() first if wanted). NULL-safe. */
void lf_journal_close(struct lf_journal *j);

/**
 * Append `len` bytes (one complete JSON line ending in '\n') with one write(2). Thread-safe.
 * Returns LF_OK or LF_EIO (disk full, ...).
 */
enum lf_err lf_journal_append(struct lf_journal *j, const char *line, size_t len);

/** fsync the current write segment if anything was appended since the last sync. Returns 0 or -1. */
int lf_journal_sync(struct lf_journal *j);

/** Reader only: read up to `max_lines` complete lines after the read position. LF_OK with count 0 = none. */
enum lf_err lf_journal_read(struct lf_journal *j, size_t max_lines, struct lf_journal_batch *out);

/** Reader only: go back to the committed position (after a failed batch, to read it again). */
void lf_journal_rewind(struct lf_journal *j);

/** Reader only: mark everything before `pos` as stored (checkpoint file), delete finished segments. */
enum lf_err lf_journal_commit(struct lf_journal *j, const struct lf_journal_pos *pos);

/**
 * Reader only: start a new write segment when the current one is larger than the rotation size, or
 * (compaction) when the reader has consumed all of it and it is larger than `idle_bytes`.
 */
void lf_journal_maybe_rotate(struct lf_journal *j, uint64_t idle_bytes);

/** Append a record that PostgreSQL refused to rejected.jsonl with the error text. */
void lf_journal_reject(struct lf_journal *j, const char *line, size_t len, const char *error);

/** Total bytes in live segments (approximate). */
uint64_t lf_journal_bytes(struct lf_journal *j);

#endif
