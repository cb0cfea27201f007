/*
 * core/src/store.h - the store thread: journal first, then batched idempotent writes to PostgreSQL
 * SPDX-License-Identifier: MIT
 *
 * Records are JSON objects with a unique "id" (uuid) and a "kind" (see docs/internals/STORAGE.md for every
 * kind and its fields). lf_store_submit() appends the record to the local journal with one write(2) and
 * returns; the request path never waits for the database. The store thread fsyncs the journal every
 * fsync_interval_ms, reads records from the journal in order, writes them to PostgreSQL in one transaction
 * per batch (INSERT ... SELECT FROM jsonb_to_recordset($1) ... ON CONFLICT (id) DO NOTHING) and advances
 * the journal checkpoint. While PostgreSQL is down records wait in the journal; the thread reconnects with
 * backoff and carries on where it stopped. At start it replays whatever a previous process left behind.
 */
#ifndef LF_CORE_STORE_H
#define LF_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <lafactoria/plugin.h>

struct lf_store_options {
    const char *conninfo;     /**< libpq conninfo or URL (required) */
    const char *journal_dir;  /**< journal directory (required), e.g. var/journal */
    int fsync_interval_ms;    /**< journal fsync period; 0 = default 100 */
    int batch_max;            /**< records per transaction; 0 = default 1000 */
    int drain_timeout_ms;     /**< lf_store_stop() waits at most this for the backlog; 0 = default 5000 */
    int reconnect_max_ms;     /**< backoff ceiling; 0 = default 5000 (starts at 100 ms, doubles) */
    uint64_t segment_max_bytes; /**< journal rotation size; 0 = default 64 MiB */
};

struct lf_store_stats {
    uint64_t pending_writes;   /**< records submitted by this process and not yet committed */
    uint64_t spooled_records;  /**< records in the journal not yet committed (includes earlier runs) */
    int db_up;                 /**< 1 while the write connection is healthy */
    char last_error[256];      /**< last database error ("" if none); no conninfo, no secrets */
    uint64_t written_total;    /**< records committed by this process (duplicates by id included) */
    uint64_t replayed_total;   /**< of which records left by an earlier process */
    uint64_t rejected_total;   /**< records PostgreSQL refused as invalid (kept in rejected.jsonl) */
    uint64_t submitted_total;  /**< lf_store_submit() calls accepted */
    uint64_t batches_total;    /**< committed transactions */
    uint64_t journal_bytes;    /**< size of the live journal segments */
    uint64_t last_batch_us;    /**< duration of the last committed batch */
};

/**
 * Open the journal, count records left by a previous process (they are replayed first) and start the
 * store thread. Does not wait for the database: if it is down, the thread keeps retrying.
 * Returns LF_OK, LF_EINVAL (bad options, already started, journal locked by another process) or LF_EIO.
 */
enum lf_err lf_store_start(const struct lf_store_options *opt, char *err, size_t errlen);

/**
 * Journal `rec` (one write(2), no fsync) and hand it to the store thread. Steals the reference.
 * Adds "id" (uuid v4) when missing and "created_at" (now, RFC 3339 UTC) when missing.
 * Returns LF_OK; LF_EINVAL if rec is not an object with a string "kind" or its "id" is not a uuid;
 * LF_EIO if the journal write failed (the record is lost: log and answer anyway, or fail the request);
 * LF_ENOTFOUND if the store is not started. Thread-safe; never touches the database.
 */
enum lf_err lf_store_submit(json_t *rec);

/** Stop the thread: drain the backlog for at most drain_timeout_ms, fsync, close. Rest stays journaled. */
void lf_store_stop(void);

/** Snapshot of the counters (all zero when not started). */
void lf_store_stats(struct lf_store_stats *out);

/** 1 while the store's write connection is up, 0 otherwise. */
int lf_store_db_up(void);

/** Block until every record submitted so far is committed or timeout_ms passes; 1 if drained (tests). */
int lf_store_wait_idle(int timeout_ms);

/** Write a fresh random uuid v4 (36 chars + NUL) into out. */
void lf_store_uuid(char out[37]);

/** 1 if s is a canonical 8-4-4-4-12 hex uuid. */
int lf_store_is_uuid(const char *s);

#endif
