/*
 * The store's private parts, shared by store.c (schema, statements, queries)
 * and store_tx.c (nested transactions and the writes kept for a retry).
 * Nothing outside lib/store*.c includes this.
 */
#ifndef HODEI_STORE_INT_H
#define HODEI_STORE_INT_H

#include "internal.h"

enum {
	ST_INSERT_JOB, ST_INSERT_TRANS, ST_LOAD_SEQ, ST_LOAD_ID, ST_SEQ_OF_ID, ST_INSERT_CHUNK,
	ST_DELETE_CHUNKS, ST_LOG_COUNT, ST_LOG_LOST, ST_READ_CHUNKS, ST_PROGRESS, ST_NEXT_QSEQ,
	ST_INDEX_NAMES, ST_INDEXED_TO, ST__COUNT
};

#define MAX_DEPTH 64

/* A write the store keeps until it is committed (journal) or, when it could
 * not be, until a retry makes it (redo). */
enum { J_TRANS, J_ROW, J_LOGS };
typedef struct jent {
	int kind;
	int depth; /* the level it was made at: 1 = the caller of the outermost */
	bool must; /* its caller was told it will be stored: never dropped */
	int64_t seq;
	hodei__jobupd u;          /* J_TRANS, J_ROW; strings owned */
	hodei__logw *recs;        /* J_LOGS; owned, their data too */
	size_t n;
} jent;
struct jvec {
	jent *v;
	size_t len, cap;
};

struct hodei_store {
	sqlite3 *db;
	char *path;
	int lock_fd; /* "<path>.lock", flock'ed while open; holds our pid */
	bool unclean;  /* the last holder did not close it (its pid was in the lock file) */
	char id[33];   /* meta 'store_id': names this store's local job processes */
	sqlite3_stmt *stmt[ST__COUNT];
	sqlite3_stmt *tcache[64]; /* transition UPDATEs, by shape */
	int64_t qseq;
	int64_t unindexed; /* first seq not yet in jobs_name, 0 = none */
	int64_t nunindexed;
	/* transactions: levels of hodei__store_begin(), see "Transactions" below */
	int depth;
	bool in_tx;            /* BEGIN done */
	uint64_t savepoints;   /* bit d: level d holds SAVEPOINT s<d> */
	uint64_t failed;       /* bit d: level d could not begin */
	int fail_rc;           /* the first failure in this transaction */
	char fail_msg[512];    /* ... and its message */
	size_t mark[MAX_DEPTH]; /* journal length when level d began */
	struct jvec journal;   /* this transaction's writes, until its COMMIT */
	struct jvec redo;      /* writes that failed and must still be made */
	size_t redo_lines;     /* log lines held in redo */
	uint8_t secret_key[32]; /* secrets.c: "<path>.key", read or made when first needed */
	bool secret_key_loaded;
	/* reading logs: the last chunk decompressed, by (job_seq, first_seq,
	 * last_seq), so pages read one after the other decompress it once */
	void *zd;              /* ZSTD_DCtx */
	char *chunk_buf;
	size_t chunk_cap, chunk_len;
	int64_t chunk_key[3];
	bool legacy_logs;      /* rows in the pre-chunk logs table (schema < 5) */
};

#define INDEX_BATCH 256

/* secrets.c: a job's secret env sealed (AES-256-GCM, the job id as AAD) */
int hodei__secrets_seal(hodei_store *st, const char *id, const char *const *entries, size_t n,
                        uint8_t **blob, size_t *bloblen);
int hodei__secrets_open(hodei_store *st, const char *id, const uint8_t *blob, size_t len,
                        char ***entries, size_t *n);

/* store_token.c */
int hodei__store_token_put(hodei_store *st, const char *name, int role, const uint8_t *hash,
                           int64_t now);
int hodei__store_token_delete(hodei_store *st, const char *name);
int hodei__store_token_list(hodei_store *st, hodei_token_list **out);

/* store.c */
int hodei__store_exec(hodei_store *st, const char *sql);
int hodei__store_index_names(hodei_store *st);
int hodei__store_write_transition(hodei_store *st, int64_t seq, const hodei__jobupd *u);
int hodei__store_write_row(hodei_store *st, int64_t seq, int attempt, int state, int64_t at,
                           const char *reason);
int hodei__store_write_logs(hodei_store *st, const hodei__logw *recs, size_t n);

/* store_tx.c */
int hodei__store_write_refused(hodei_store *st);
int hodei__store_journal(hodei_store *st, struct jvec *to, int kind, int64_t seq,
                         const hodei__jobupd *u, bool must);
int hodei__store_jpush(struct jvec *j, const jent *e);
void hodei__store_jtruncate(struct jvec *j, size_t len);
int hodei__store_close_retry(hodei_store *st);

#endif
