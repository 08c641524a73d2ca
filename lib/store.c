/*
 * The job store: the only module that talks to SQLite.  WAL mode, short
 * transactions, prepared statements kept for the hot paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "store_int.h"

#define SCHEMA_VERSION 6


static int step_done(hodei_store *st, sqlite3_stmt *s, const char *what);
int hodei__store_index_names(hodei_store *st);
static int find_unindexed(hodei_store *st);
static int find_legacy_logs(hodei_store *st);

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS jobs("
	" seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	" command TEXT NOT NULL, args BLOB, env BLOB, labels BLOB, priority INTEGER NOT NULL,"
	" timeout_ms INTEGER NOT NULL, cpu_millis INTEGER NOT NULL, memory_bytes INTEGER NOT NULL,"
	" max_retries INTEGER NOT NULL, workdir TEXT, queued_by TEXT, flags INTEGER NOT NULL,"
	" provider_pin TEXT, state INTEGER NOT NULL, attempt INTEGER NOT NULL,"
	" qseq INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0,"
	" exit_code INTEGER NOT NULL DEFAULT -1, term_signal INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT, progress INTEGER NOT NULL DEFAULT -1, created_at INTEGER NOT NULL,"
	" queued_at INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL DEFAULT 0,"
	" finished_at INTEGER NOT NULL DEFAULT 0, cpu_time_us INTEGER NOT NULL DEFAULT 0,"
	" max_rss_kb INTEGER NOT NULL DEFAULT 0, worker_id TEXT, provider TEXT,"
	" log_lines INTEGER NOT NULL DEFAULT 0, last_log_seq INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL DEFAULT 0, pid_start INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, seq);"
	"CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at);"
	"CREATE TABLE IF NOT EXISTS transitions(job_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,"
	" state INTEGER NOT NULL, at INTEGER NOT NULL, reason TEXT);"
	"CREATE INDEX IF NOT EXISTS transitions_job ON transitions(job_seq);"
	"CREATE TABLE IF NOT EXISTS logs(job_seq INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" ts_us INTEGER NOT NULL, stream INTEGER NOT NULL, level INTEGER NOT NULL,"
	" attempt INTEGER NOT NULL, flags INTEGER NOT NULL, text BLOB NOT NULL,"
	" PRIMARY KEY(job_seq, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS providers(name TEXT PRIMARY KEY, type TEXT NOT NULL,"
	" endpoint TEXT, token TEXT, labels BLOB, max_memory INTEGER NOT NULL,"
	" max_vcpus INTEGER NOT NULL, gpu INTEGER NOT NULL, max_workers INTEGER NOT NULL,"
	" options TEXT, status INTEGER NOT NULL, health_score INTEGER NOT NULL,"
	" status_message TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS health_log(provider TEXT NOT NULL, at INTEGER NOT NULL,"
	" status INTEGER NOT NULL, score INTEGER NOT NULL, message TEXT);"
	"CREATE INDEX IF NOT EXISTS health_log_provider ON health_log(provider, at);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('format', 'hodei'), ('schema', '1');";

/*
 * Schema 2 (and 3): the indexes a million jobs need (lib/search.c, metrics).
 * - jobs_name: trigram index of job names for searches (content-less: the
 *   names stay in jobs).  New jobs are indexed by one statement for many
 *   (index_new_names): at the commit of a transaction once INDEX_BATCH jobs
 *   wait, and before any search reads the index, so a search always sees
 *   every job.  FTS5 writes its pending terms out at every statement that
 *   touches it: a statement (or a trigger) per job would make each job a
 *   tiny segment (single submits at half speed).  Jobs left unindexed by a
 *   crash are found at open: they are the seqs above the index's last rowid.
 *   Triggers keep it right if a name is ever changed or a job deleted.
 * - job_rollup: jobs by creation minute/hour and current state (kinds 0/1),
 *   and by finishing minute/hour and state with run time (kinds 2/3), so a
 *   metrics range sums at most a few hundred rows.  Triggers keep it equal
 *   to what a scan of jobs would give.  jobs_created served the scan.
 */
#define ROLLUP_UPSERT                                                                      \
	" ON CONFLICT(kind, bucket, state) DO UPDATE SET n = n + excluded.n,"                  \
	" dur_n = dur_n + excluded.dur_n, dur_sum = dur_sum + excluded.dur_sum;"
#define ROLLUP_COLS "INSERT INTO job_rollup(kind, bucket, state, n, dur_n, dur_sum) "
#define RAN(r) "(" r ".started_at > 0 AND " r ".finished_at >= " r ".started_at)"
/* The finished contribution of row r (old or new), sign s (+ or -). */
#define FINISHED(r, s)                                                                     \
	ROLLUP_COLS "VALUES(2, " r ".finished_at / 60000, " r ".state, " s "1, " s RAN(r) ","   \
	" " s "(CASE WHEN " RAN(r) " THEN " r ".finished_at - " r ".started_at ELSE 0 END)),"  \
	" (3, " r ".finished_at / 3600000, " r ".state, " s "1, " s RAN(r) ","                 \
	" " s "(CASE WHEN " RAN(r) " THEN " r ".finished_at - " r ".started_at ELSE 0 END))"   \
	ROLLUP_UPSERT
#define CREATED(r, s)                                                                      \
	"(0, " r ".created_at / 60000, " r ".state, " s "1, 0, 0), (1, " r ".created_at / 3600000, " \
	r ".state, " s "1, 0, 0)"
#define FIN_CHANGED                                                                        \
	" (old.state <> new.state OR old.started_at <> new.started_at OR"                      \
	" old.finished_at <> new.finished_at)"

static const char *const migrate_v2 =
	"CREATE VIRTUAL TABLE jobs_name USING fts5(job_name, content='', detail=none,"
	" columnsize=0, tokenize='trigram');"
	"INSERT INTO jobs_name(rowid, job_name) SELECT seq, name FROM jobs;"
	"CREATE TRIGGER jobs_name_delete AFTER DELETE ON jobs BEGIN"
	" INSERT INTO jobs_name(jobs_name, rowid, job_name) VALUES('delete', old.seq, old.name); END;"
	"CREATE TRIGGER jobs_name_update AFTER UPDATE OF name ON jobs BEGIN"
	" INSERT INTO jobs_name(jobs_name, rowid, job_name) VALUES('delete', old.seq, old.name);"
	" INSERT INTO jobs_name(rowid, job_name) VALUES(new.seq, new.name); END;"
	"CREATE TABLE job_rollup(kind INTEGER NOT NULL, bucket INTEGER NOT NULL,"
	" state INTEGER NOT NULL, n INTEGER NOT NULL, dur_n INTEGER NOT NULL,"
	" dur_sum INTEGER NOT NULL, PRIMARY KEY(kind, bucket, state)) WITHOUT ROWID;"
	ROLLUP_COLS "SELECT 0, created_at / 60000, state, count(*), 0, 0 FROM jobs GROUP BY 2, 3;"
	ROLLUP_COLS "SELECT 1, created_at / 3600000, state, count(*), 0, 0 FROM jobs GROUP BY 2, 3;"
	ROLLUP_COLS "SELECT 2, finished_at / 60000, state, count(*), sum(" RAN("jobs") "),"
	" sum(CASE WHEN " RAN("jobs") " THEN finished_at - started_at ELSE 0 END) FROM jobs"
	" WHERE finished_at > 0 GROUP BY 2, 3;"
	ROLLUP_COLS "SELECT 3, finished_at / 3600000, state, count(*), sum(" RAN("jobs") "),"
	" sum(CASE WHEN " RAN("jobs") " THEN finished_at - started_at ELSE 0 END) FROM jobs"
	" WHERE finished_at > 0 GROUP BY 2, 3;"
	"CREATE TRIGGER jobs_rollup_insert AFTER INSERT ON jobs BEGIN " ROLLUP_COLS "VALUES"
	CREATED("new", "") ROLLUP_UPSERT " END;"
	"CREATE TRIGGER jobs_rollup_insert_finished AFTER INSERT ON jobs WHEN new.finished_at > 0"
	" BEGIN " FINISHED("new", "") " END;"
	"CREATE TRIGGER jobs_rollup_state AFTER UPDATE OF state ON jobs"
	" WHEN old.state <> new.state BEGIN " ROLLUP_COLS "VALUES" CREATED("old", "-") ", "
	CREATED("new", "") ROLLUP_UPSERT " END;"
	"CREATE TRIGGER jobs_rollup_unfinish AFTER UPDATE OF state, started_at, finished_at ON jobs"
	" WHEN old.finished_at > 0 AND" FIN_CHANGED " BEGIN " FINISHED("old", "-") " END;"
	"CREATE TRIGGER jobs_rollup_finish AFTER UPDATE OF state, started_at, finished_at ON jobs"
	" WHEN new.finished_at > 0 AND" FIN_CHANGED " BEGIN " FINISHED("new", "") " END;"
	"CREATE TRIGGER jobs_rollup_delete AFTER DELETE ON jobs BEGIN " ROLLUP_COLS "VALUES"
	CREATED("old", "-") ROLLUP_UPSERT " END;"
	"CREATE TRIGGER jobs_rollup_delete_finished AFTER DELETE ON jobs WHEN old.finished_at > 0"
	" BEGIN " FINISHED("old", "-") " END;"
	"DROP INDEX IF EXISTS jobs_created;";

/* Schema 3: new names are indexed many at a time, no longer by a trigger per
 * job; meta's names_indexed_to says up to which seq. */
static const char *const migrate_v3 =
	"DROP TRIGGER IF EXISTS jobs_name_insert;"
	"INSERT OR REPLACE INTO meta(key, value) VALUES('names_indexed_to',"
	" (SELECT coalesce(max(seq), 0) FROM jobs));";

/* Schema 4: what a job's log holds in bytes (the HODEI_MAX_LOG_BYTES limit
 * counts across attempts and restarts), and the lines it lost. */
static const char *const migrate_v4 =
	"ALTER TABLE jobs ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN log_lines_lost INTEGER NOT NULL DEFAULT 0;"
	"UPDATE jobs SET log_bytes = coalesce((SELECT sum(length(text)) FROM logs"
	" WHERE logs.job_seq = jobs.seq), 0) WHERE log_lines > 0;";

/* Schema 5: logs in chunks (lib/logchunk.c), a row per chunk or segment,
 * not per line.  The rows of the logs table (lines stored before) stay
 * where they are and are read as before, ahead of the job's chunks: their
 * seqs are all lower.  levels: bit l set when a line of level l is in it. */
static const char *const migrate_v5 =
	"CREATE TABLE log_chunks(job_seq INTEGER NOT NULL, first_seq INTEGER NOT NULL,"
	" last_seq INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
	" levels INTEGER NOT NULL, codec INTEGER NOT NULL, raw_len INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE UNIQUE INDEX log_chunks_seq ON log_chunks(job_seq, first_seq);";

/* Schema 6 (issue 15): named API tokens, stored
 * as SHA-256 hashes with their role; the token that queued each job; its
 * secret variables' names (plain) and values (sealed, lib/secrets.c). */
static const char *const migrate_v6 =
	"CREATE TABLE api_tokens(name TEXT PRIMARY KEY, role INTEGER NOT NULL,"
	" hash BLOB NOT NULL, created_at INTEGER NOT NULL);"
	"ALTER TABLE jobs ADD COLUMN token_name TEXT;"
	"ALTER TABLE jobs ADD COLUMN secret_names BLOB;"
	"ALTER TABLE jobs ADD COLUMN secret_env BLOB;";

/* Schema changes by version: migrations[v] takes a database from v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
	[1] = migrate_v2, [2] = migrate_v3, [3] = migrate_v4, [4] = migrate_v5, [5] = migrate_v6
};

#define JOB_COLS                                                                         \
	"seq, id, name, command, args, env, labels, priority, timeout_ms, cpu_millis,"      \
	" memory_bytes, max_retries, workdir, queued_by, flags, provider_pin, state, attempt," \
	" exit_code, term_signal, reason, progress, created_at, queued_at, started_at,"     \
	" finished_at, cpu_time_us, max_rss_kb, worker_id, provider, log_lines,"      \
	" last_log_seq, log_lines_lost, log_bytes, token_name, secret_names"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_INSERT_JOB] =
		"INSERT INTO jobs(id, name, command, args, env, labels, priority, timeout_ms,"
		" cpu_millis, memory_bytes, max_retries, workdir, queued_by, flags, provider_pin,"
		" state, attempt, qseq, created_at, queued_at, token_name, secret_names, secret_env)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,1,?,?,?,?,?,?)",
	[ST_INSERT_TRANS] = "INSERT INTO transitions(job_seq, attempt, state, at, reason)"
	                    " VALUES(?,?,?,?,?)",
	[ST_LOAD_SEQ] = "SELECT " JOB_COLS " FROM jobs WHERE seq = ?",
	[ST_LOAD_ID] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?",
	[ST_SEQ_OF_ID] = "SELECT seq, state FROM jobs WHERE id = ?",
	[ST_INSERT_CHUNK] = "INSERT OR REPLACE INTO log_chunks(job_seq, first_seq, last_seq,"
	                    " first_ts, last_ts, levels, codec, raw_len, data)"
	                    " VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_DELETE_CHUNKS] = "DELETE FROM log_chunks WHERE job_seq = ?1 AND first_seq >= ?2"
	                     " AND first_seq <= ?3",
	/* lines are new to the job only when above its last stored seq: a write
	 * made again (a retry of a commit that did in fact happen) counts once */
	[ST_LOG_COUNT] = "UPDATE jobs SET log_lines = log_lines + ?1, last_log_seq = ?2,"
	                 " log_bytes = log_bytes + ?3 WHERE seq = ?4 AND last_log_seq < ?5",
	[ST_LOG_LOST] = "UPDATE jobs SET log_lines_lost = log_lines_lost + ?1 WHERE seq = ?2",
	/* from the chunk holding seq ?2 + 1: the last one starting at or before it */
	[ST_READ_CHUNKS] = "SELECT first_seq, last_seq, levels, codec, raw_len, data"
	                   " FROM log_chunks WHERE job_seq = ?1 AND first_seq >= coalesce((SELECT"
	                   " max(first_seq) FROM log_chunks WHERE job_seq = ?1 AND first_seq <="
	                   " ?2 + 1), 0) ORDER BY first_seq",
	[ST_PROGRESS] = "UPDATE jobs SET progress = ? WHERE seq = ?",
	[ST_NEXT_QSEQ] = "SELECT coalesce(max(qseq), 0) FROM jobs",
	[ST_INDEX_NAMES] = "INSERT INTO jobs_name(rowid, job_name) SELECT seq, name FROM jobs"
	                   " WHERE seq >= ?",
	[ST_INDEXED_TO] = "UPDATE meta SET value = (SELECT coalesce(max(seq), 0) FROM jobs)"
	                  " WHERE key = 'names_indexed_to'",
};

static int db_err(hodei_store *st, const char *what)
{
	int code = sqlite3_errcode(st->db);

	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		return hodei__err(HODEI_ENOTDB, "%s: not a Hodei database (%s)", st->path,
		                  sqlite3_errmsg(st->db));
	if (code == SQLITE_FULL)
		return hodei__err(HODEI_ENOSPC, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return hodei__err(HODEI_EIO, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/* The end of a row loop: DONE is success, anything else is an error. */
static int rows_done(hodei_store *st, int rc, const char *what)
{
	return rc == SQLITE_DONE ? 0 : db_err(st, what);
}

int hodei__store_exec(hodei_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = db_err(st, msg ? msg : "query failed");

		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

/* A database that has tables but no Hodei meta row is someone else's. */
static int check_format(hodei_store *st)
{
	sqlite3_stmt *s = NULL;
	int tables = 0, ours = 0, rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_err(st, "reading schema");
	}
	tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (tables == 0)
		return 0;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'format'", -1, &s,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		ours = strcmp((const char *)sqlite3_column_text(s, 0), "hodei") == 0;
	sqlite3_finalize(s);
	if (!ours)
		return hodei__err(HODEI_ENOTDB, "%s: not a Hodei database (it has other tables)",
		                  st->path);
	return 0;
}

/* Brings the schema to SCHEMA_VERSION inside the open's transaction. */
static int migrate(hodei_store *st)
{
	sqlite3_stmt *s = NULL;
	char sql[96];
	int version = 0, rc;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &s,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version < 1 || version > SCHEMA_VERSION)
		return hodei__err(HODEI_ENOTDB, "%s: schema version %d is not one this Hodei knows"
		                  " (1 to %d)", st->path, version, SCHEMA_VERSION);
	if (version == SCHEMA_VERSION)
		return 0;
	for (int v = version; v < SCHEMA_VERSION; v++)
		if ((rc = hodei__store_exec(st, migrations[v])))
			return rc;
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = '%d' WHERE key = 'schema'",
	         SCHEMA_VERSION);
	return hodei__store_exec(st, sql);
}

/*
 * The store's own random id (a meta row, made on first open): the local
 * provider marks each job's environment with it (HODEI_LOCAL_RUN), so that
 * recovery can find processes of this store that no row names.
 */
static int read_id(hodei_store *st)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *v;
	int rc;

	if ((rc = hodei__store_exec(st, "INSERT OR IGNORE INTO meta(key, value) VALUES"
	                            "('store_id', lower(hex(randomblob(16))))")))
		return rc;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'store_id'", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_err(st, "reading the store id");
	rc = sqlite3_step(s);
	v = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
	if (v && strlen((const char *)v) == 32 && strspn((const char *)v, "0123456789abcdef") == 32) {
		memcpy(st->id, v, 33);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW ? hodei__err(HODEI_ENOTDB, "%s: meta 'store_id' is not 32 hex"
		                                   " digits", st->path)
		                      : db_err(st, "reading the store id");
	}
	sqlite3_finalize(s);
	return rc;
}

const char *hodei__store_id(hodei_store *st)
{
	return st->id;
}

bool hodei__store_unclean(hodei_store *st)
{
	return st->unclean;
}

void hodei__store_set_clean(hodei_store *st)
{
	st->unclean = false;
}

/* The pid written in a lock file, or 0. */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * One process per store: an exclusive flock on "<path>.lock" for as long as
 * the store is open, taken before SQLite touches the file, so a second
 * process (or a second context in this one: flock belongs to the open file)
 * fails at once instead of running recovery over the first one's jobs.  The
 * lock goes with the process, however it ends; the file stays, with the
 * last holder's pid in it.  O_CLOEXEC: jobs must not inherit it.
 */
static int take_lock(hodei_store *st)
{
	char *lp = hodei__sprintf("%s.lock", st->path);
	char pid[24];
	int n, rc = 0;

	if (!lp)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	st->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		rc = hodei__err(HODEI_EIO, "db_path: cannot open '%s': cannot create its lock file"
		                " '%s': %s", st->path, lp, strerror(errno));
	} else if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		long holder = errno == EWOULDBLOCK ? lock_holder(st->lock_fd) : -1;

		if (holder < 0)
			rc = hodei__err(HODEI_EIO, "%s: cannot lock '%s': %s", st->path, lp,
			                strerror(errno));
		else if (holder > 0)
			rc = hodei__err(HODEI_ELOCKED, "%s: in use by process %ld (it holds '%s'):"
			                " one process at a time may open a store", st->path, holder, lp);
		else
			rc = hodei__err(HODEI_ELOCKED, "%s: in use by another process (it holds '%s'):"
			                " one process at a time may open a store", st->path, lp);
	} else {
		/* a pid left in it: its holder ended without hodei__store_close()
		 * marking it clean, and may have left job processes behind */
		st->unclean = lock_holder(st->lock_fd) > 0;
		n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(st->lock_fd, 0) != 0 || pwrite(st->lock_fd, pid, (size_t)n, 0) != n)
			rc = hodei__err(HODEI_EIO, "%s: cannot write '%s': %s", st->path, lp,
			                strerror(errno));
	}
	free(lp);
	return rc;
}

int hodei__store_open(hodei_store **out, const char *path, int sync_full)
{
	hodei_store *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	st->lock_fd = -1;
	if (!(st->path = strdup(path))) {
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = take_lock(st)))
		goto fail;
	if (sqlite3_open_v2(path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = hodei__err(HODEI_EIO, "db_path: cannot open '%s': %s", path,
		                st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if ((rc = check_format(st)) ||
	    (rc = hodei__store_exec(st, sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                             : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) ||
	    (rc = hodei__store_exec(st, "BEGIN IMMEDIATE")) || (rc = hodei__store_exec(st, schema)) || (rc = migrate(st)) ||
	    (rc = read_id(st)) || (rc = hodei__store_exec(st, "COMMIT")))
		goto fail;
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
		                       NULL) != SQLITE_OK) {
			rc = db_err(st, "preparing statements");
			goto fail;
		}
	if ((rc = find_unindexed(st)) || (rc = find_legacy_logs(st)))
		goto fail;
	if (!(st->zd = ZSTD_createDCtx())) {
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = sqlite3_step(st->stmt[ST_NEXT_QSEQ])) != SQLITE_ROW) {
		rc = db_err(st, "reading the queue order");
		goto fail;
	}
	st->qseq = sqlite3_column_int64(st->stmt[ST_NEXT_QSEQ], 0);
	sqlite3_reset(st->stmt[ST_NEXT_QSEQ]);
	*out = st;
	return 0;
fail:
	hodei__store_close(st);
	return rc;
}

void hodei__store_close(hodei_store *st)
{
	if (!st)
		return;
	if (st->stmt[ST_INDEX_NAMES]) {
		hodei__store_close_retry(st);
		hodei__store_index_names(st); /* not needed (open finds them), but tidier at rest */
	}
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (int i = 0; i < 64; i++)
		sqlite3_finalize(st->tcache[i]);
	sqlite3_close(st->db);
	ZSTD_freeDCtx(st->zd);
	free(st->chunk_buf);
	hodei__store_jtruncate(&st->journal, 0);
	hodei__store_jtruncate(&st->redo, 0);
	free(st->journal.v);
	free(st->redo.v);
	/* clean: the next open need not look for our jobs' processes (a
	 * failed open, or one without recovery, leaves the pid for it) */
	if (st->lock_fd >= 0 && !st->unclean && st->id[0] && ftruncate(st->lock_fd, 0) != 0)
		(void)0; /* the next open looks for leftovers: slower, not wrong */
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the lock: only now that SQLite is done */
	free(st->path);
	free(st);
}

sqlite3 *hodei__store_db(hodei_store *st)
{
	return st->db;
}

int hodei__store_error(hodei_store *st, const char *what)
{
	return db_err(st, what);
}

static void rollback(hodei_store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The names of the jobs from seq `unindexed` on, into jobs_name, and how far
 * the index goes into meta, in one transaction. */
int hodei__store_index_names(hodei_store *st)
{
	sqlite3_stmt *s = st->stmt[ST_INDEX_NAMES], *w = st->stmt[ST_INDEXED_TO];
	int own = sqlite3_get_autocommit(st->db), rc;

	if (!st->unindexed)
		return 0;
	if (own && (rc = hodei__store_exec(st, "BEGIN IMMEDIATE")))
		return rc;
	sqlite3_bind_int64(s, 1, st->unindexed);
	if (!(rc = step_done(st, s, "indexing job names")))
		rc = step_done(st, w, "indexing job names");
	if (own)
		rc = rc ? (rollback(st), rc) : hodei__store_exec(st, "COMMIT");
	if (!rc)
		st->unindexed = st->nunindexed = 0;
	return rc;
}

int hodei__store_search_ready(hodei_store *st)
{
	return hodei__store_index_names(st);
}

/* After a crash: the jobs above names_indexed_to are not in jobs_name. */
static int find_unindexed(hodei_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT min(seq) FROM jobs WHERE seq > (SELECT CAST("
	                                    "value AS INTEGER) FROM meta WHERE key = 'names_indexed_to')",
	                            -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->unindexed = sqlite3_column_int64(s, 0);
		st->nunindexed = st->unindexed ? INDEX_BATCH : 0;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_err(st, "reading the name index");
}

/* Lines stored a row each before schema 5: read ahead of the chunks. */
static int find_legacy_logs(hodei_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT 1 FROM logs LIMIT 1", -1, &s, NULL);

	if (rc == SQLITE_OK && ((rc = sqlite3_step(s)) == SQLITE_ROW || rc == SQLITE_DONE)) {
		st->legacy_logs = rc == SQLITE_ROW;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : db_err(st, "reading logs");
}

int hodei__store_next_qseq(hodei_store *st, int64_t *qseq)
{
	*qseq = ++st->qseq;
	return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_vec(sqlite3_stmt *s, int i, const char *const *v, size_t n)
{
	size_t len = 0;
	void *blob = hodei__vec_pack(v, n, &len);

	sqlite3_bind_blob(s, i, blob, (int)len, free);
}

/* The names of "NAME=value" entries, as a vector. */
static int bind_names(sqlite3_stmt *s, int i, const char *const *v, size_t n)
{
	char *names[HODEI_SECRETS_MAX] = { 0 };
	size_t k = 0;
	int rc = 0;

	for (; k < n && k < HODEI_SECRETS_MAX; k++)
		if (!(names[k] = hodei__strndup(v[k], strcspn(v[k], "=")))) {
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
			break;
		}
	if (!rc)
		bind_vec(s, i, (const char *const *)names, k);
	for (size_t j = 0; j < k; j++)
		free(names[j]);
	if (rc)
		sqlite3_clear_bindings(s);
	return rc;
}

/* The names of a job's secrets, as "NAME=***". */
static char **col_masked(sqlite3_stmt *s, int i, size_t *n, bool *nomem)
{
	const void *b = sqlite3_column_blob(s, i);
	char **v = hodei__vec_unpack(b ? b : "", (size_t)sqlite3_column_bytes(s, i), n);

	if (!v) {
		*nomem = true;
		return NULL;
	}
	for (size_t k = 0; k < *n; k++) {
		size_t len = strlen(v[k]);
		char *e = malloc(len + 5);

		if (!e) {
			*nomem = true;
			continue;
		}
		memcpy(e, v[k], len);
		memcpy(e + len, "=***", 5);
		free(v[k]);
		v[k] = e;
	}
	return v;
}

static int step_done(hodei_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = hodei__store_write_refused(st);

	if (rc) {
		sqlite3_clear_bindings(s);
		return rc;
	}
	rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_CONSTRAINT)
		return HODEI_EEXISTS;
	return db_err(st, what);
}

int hodei__store_write_row(hodei_store *st, int64_t seq, int attempt, int state, int64_t at,
                             const char *reason)
{
	sqlite3_stmt *s = st->stmt[ST_INSERT_TRANS];

	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, attempt);
	sqlite3_bind_int(s, 3, state);
	sqlite3_bind_int64(s, 4, at);
	bind_text(s, 5, reason);
	return step_done(st, s, "recording transition");
}

/* A history row alone: a state the job passed through inside one transaction
 * whose row update went straight past it (sched.c: ASSIGNED then RUNNING). */
int hodei__store_transition_row(hodei_store *st, int64_t seq, const hodei__jobupd *u)
{
	int rc = hodei__store_write_row(st, seq, u->attempt, u->state, u->at, u->reason);

	return rc ? rc : hodei__store_journal(st, &st->journal, J_ROW, seq, u, false);
}

/* The token name, the secrets' names (plain) and their sealed values. */
static int bind_secrets(hodei_store *st, sqlite3_stmt *s, const hodei_job_spec *spec,
                        const char *id)
{
	uint8_t *blob;
	size_t len;
	int rc;

	bind_text(s, 19, spec->token_name);
	if (spec->nsecret_env == 0)
		return 0;
	if ((rc = hodei__secrets_seal(st, id, spec->secret_env, spec->nsecret_env, &blob, &len))) {
		sqlite3_clear_bindings(s);
		return rc;
	}
	sqlite3_bind_blob(s, 21, blob, (int)len, free);
	return bind_names(s, 20, spec->secret_env, spec->nsecret_env);
}

int hodei__store_insert_job(hodei_store *st, const hodei_job_spec *spec, const char *id,
                            int64_t qseq, int64_t now, int64_t *seq)
{
	sqlite3_stmt *s = st->stmt[ST_INSERT_JOB];
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, spec->name && *spec->name ? spec->name : spec->command, -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(s, 3, spec->command, -1, SQLITE_STATIC);
	bind_vec(s, 4, spec->args, spec->nargs);
	bind_vec(s, 5, spec->env, spec->nenv);
	bind_vec(s, 6, spec->labels, spec->nlabels);
	sqlite3_bind_int(s, 7, spec->priority ? spec->priority : HODEI_PRIORITY_NORMAL);
	sqlite3_bind_int64(s, 8, spec->timeout_ms);
	sqlite3_bind_int64(s, 9, spec->cpu_millis);
	sqlite3_bind_int64(s, 10, (int64_t)spec->memory_bytes);
	sqlite3_bind_int(s, 11, spec->max_retries);
	bind_text(s, 12, spec->workdir);
	bind_text(s, 13, spec->queued_by);
	sqlite3_bind_int(s, 14, (int)spec->flags);
	bind_text(s, 15, spec->provider);
	sqlite3_bind_int64(s, 16, qseq);
	sqlite3_bind_int64(s, 17, now);
	sqlite3_bind_int64(s, 18, now);
	if (spec->version >= 2 && (rc = bind_secrets(st, s, spec, id)))
		return rc;
	rc = step_done(st, s, "inserting job");
	if (rc == HODEI_EEXISTS)
		return hodei__err(HODEI_EEXISTS, "id: a job with id '%s' already exists", id);
	if (rc)
		return rc;
	*seq = sqlite3_last_insert_rowid(st->db);
	if (!st->unindexed)
		st->unindexed = *seq;
	st->nunindexed++;
	return hodei__store_write_row(st, *seq, 1, HODEI_JOB_QUEUED, now, NULL);
}

/* NULL for a NULL column; out of memory sets *nomem (callers test it once). */
static char *col_str_m(sqlite3_stmt *s, int i, bool *nomem)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	char *c = t ? strdup((const char *)t) : NULL;

	if (t && !c)
		*nomem = true;
	return c;
}

static char *col_str(sqlite3_stmt *s, int i)
{
	bool nomem = false;

	return col_str_m(s, i, &nomem);
}

static char **col_vec(sqlite3_stmt *s, int i, size_t *n, bool *nomem)
{
	const void *b = sqlite3_column_blob(s, i);
	int len = sqlite3_column_bytes(s, i);
	char **v;

	*n = 0;
	if (!(v = hodei__vec_unpack(b ? b : "", (size_t)len, n)))
		*nomem = true;
	return v;
}

static hodei_job *row_to_job(sqlite3_stmt *s)
{
	hodei_job *j = calloc(1, sizeof(*j));
	bool nomem = false;

	if (!j)
		return NULL;
	j->version = HODEI_JOB_VERSION;
	j->seq = sqlite3_column_int64(s, 0);
	j->id = col_str_m(s, 1, &nomem);
	j->name = col_str_m(s, 2, &nomem);
	j->command = col_str_m(s, 3, &nomem);
	j->args = col_vec(s, 4, &j->nargs, &nomem);
	j->env = col_vec(s, 5, &j->nenv, &nomem);
	j->labels = col_vec(s, 6, &j->nlabels, &nomem);
	j->priority = sqlite3_column_int(s, 7);
	j->timeout_ms = sqlite3_column_int64(s, 8);
	j->cpu_millis = (uint32_t)sqlite3_column_int64(s, 9);
	j->memory_bytes = (uint64_t)sqlite3_column_int64(s, 10);
	j->max_retries = sqlite3_column_int(s, 11);
	j->workdir = col_str_m(s, 12, &nomem);
	j->queued_by = col_str_m(s, 13, &nomem);
	j->flags = (unsigned int)sqlite3_column_int(s, 14);
	j->provider_pin = col_str_m(s, 15, &nomem);
	j->state = sqlite3_column_int(s, 16);
	j->attempt = sqlite3_column_int(s, 17);
	j->exit_code = sqlite3_column_int(s, 18);
	j->term_signal = sqlite3_column_int(s, 19);
	j->reason = col_str_m(s, 20, &nomem);
	j->progress = sqlite3_column_int(s, 21);
	j->created_at = sqlite3_column_int64(s, 22);
	j->queued_at = sqlite3_column_int64(s, 23);
	j->started_at = sqlite3_column_int64(s, 24);
	j->finished_at = sqlite3_column_int64(s, 25);
	j->cpu_time_us = sqlite3_column_int64(s, 26);
	j->max_rss_kb = sqlite3_column_int64(s, 27);
	j->worker_id = col_str_m(s, 28, &nomem);
	j->provider = col_str_m(s, 29, &nomem);
	j->log_lines = sqlite3_column_int64(s, 30);
	j->last_log_seq = sqlite3_column_int64(s, 31);
	j->log_lines_lost = sqlite3_column_int64(s, 32);
	j->log_bytes = sqlite3_column_int64(s, 33);
	j->token_name = col_str_m(s, 34, &nomem);
	j->secret_env = col_masked(s, 35, &j->nsecret_env, &nomem);
	if (nomem) { /* all or nothing */
		hodei_job_free(j);
		return NULL;
	}
	return j;
}

void hodei_job_free(hodei_job *j)
{
	if (!j)
		return;
	free(j->id);
	free(j->name);
	free(j->command);
	hodei__vec_free(j->args, j->nargs);
	hodei__vec_free(j->env, j->nenv);
	hodei__vec_free(j->labels, j->nlabels);
	free(j->workdir);
	free(j->queued_by);
	free(j->provider_pin);
	free(j->reason);
	free(j->worker_id);
	free(j->provider);
	free(j->token_name);
	hodei__vec_free(j->secret_env, j->nsecret_env);
	free(j);
}

int hodei__store_load_job(hodei_store *st, int64_t seq, const char *id, hodei_job **out)
{
	sqlite3_stmt *s = st->stmt[id ? ST_LOAD_ID : ST_LOAD_SEQ];
	int rc;

	*out = NULL;
	if (id)
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = row_to_job(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_ROW)
		return *out ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == SQLITE_DONE)
		return id ? hodei__err(HODEI_ENOTFOUND, "job '%s' not found", id)
		          : hodei__err(HODEI_ENOTFOUND, "job #%lld not found", (long long)seq);
	return db_err(st, "loading job");
}

int hodei__store_job_seq(hodei_store *st, const char *id, int64_t *seq, int *state)
{
	sqlite3_stmt *s = st->stmt[ST_SEQ_OF_ID];
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		if (state)
			*state = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return hodei__err(HODEI_ENOTFOUND, "job '%s' not found", id);
	return db_err(st, "finding job");
}

static sqlite3_stmt *transition_stmt(hodei_store *st, const hodei__jobupd *u, int *timecol)
{
	int cls = u->state == HODEI_JOB_QUEUED ? 1 : u->state == HODEI_JOB_RUNNING ? 2
	          : hodei__state_final(u->state) ? 3 : 0;
	int key = cls | (u->set_result ? 4 : 0) | (u->set_worker ? 8 : 0) | (u->set_queue ? 16 : 0) |
	          (u->set_pid ? 32 : 0);
	static const char *const timecols[] = { NULL, "queued_at", "started_at", "finished_at" };
	hodei__buf sql = { 0 };

	*timecol = cls != 0;
	if (st->tcache[key])
		return st->tcache[key];
	hodei__buf_addf(&sql, "UPDATE jobs SET state = ?, attempt = ?, reason = ?");
	if (cls)
		hodei__buf_addf(&sql, ", %s = ?", timecols[cls]);
	if (u->set_result)
		hodei__buf_addf(&sql, ", exit_code = ?, term_signal = ?, cpu_time_us = ?, max_rss_kb = ?");
	if (u->set_worker)
		hodei__buf_addf(&sql, ", worker_id = ?, provider = ?");
	if (u->set_queue) /* a new attempt: nothing of the last one's run (history keeps it) */
		hodei__buf_addf(&sql, ", qseq = ?, not_before = ?, exit_code = -1, term_signal = 0,"
		                      " progress = -1, started_at = 0, finished_at = 0, cpu_time_us = 0,"
		                      " max_rss_kb = 0, worker_id = NULL, provider = NULL, pid = 0,"
		                      " pid_start = 0");
	if (u->set_pid)
		hodei__buf_addf(&sql, ", pid = ?, pid_start = ?");
	hodei__buf_addf(&sql, " WHERE seq = ?");
	if (sql.data && !sql.failed) /* else NULL: the caller reports out of memory */
		sqlite3_prepare_v3(st->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &st->tcache[key],
		                   NULL);
	hodei__buf_free(&sql);
	return st->tcache[key];
}

int hodei__store_transition(hodei_store *st, int64_t seq, const hodei__jobupd *u)
{
	int rc = hodei__store_write_transition(st, seq, u);

	return rc ? rc : hodei__store_journal(st, &st->journal, J_TRANS, seq, u, false);
}

int hodei__store_write_transition(hodei_store *st, int64_t seq, const hodei__jobupd *u)
{
	int timecol, i = 1, rc;
	sqlite3_stmt *s;

	if ((rc = hodei__store_write_refused(st)))
		return rc;
	if (!(s = transition_stmt(st, u, &timecol)))
		return db_err(st, "updating job");
	sqlite3_bind_int(s, i++, u->state);
	sqlite3_bind_int(s, i++, u->attempt);
	bind_text(s, i++, u->reason);
	if (timecol)
		sqlite3_bind_int64(s, i++, u->at);
	if (u->set_result) {
		sqlite3_bind_int(s, i++, u->exit_code);
		sqlite3_bind_int(s, i++, u->term_signal);
		sqlite3_bind_int64(s, i++, u->cpu_time_us);
		sqlite3_bind_int64(s, i++, u->max_rss_kb);
	}
	if (u->set_worker) {
		bind_text(s, i++, u->worker_id);
		bind_text(s, i++, u->provider);
	}
	if (u->set_queue) {
		sqlite3_bind_int64(s, i++, u->qseq);
		sqlite3_bind_int64(s, i++, u->not_before);
	}
	if (u->set_pid) {
		sqlite3_bind_int64(s, i++, u->pid);
		sqlite3_bind_int64(s, i++, u->pid_start);
	}
	sqlite3_bind_int64(s, i++, seq);
	if ((rc = step_done(st, s, "updating job")))
		return rc;
	return hodei__store_write_row(st, seq, u->attempt, u->state, u->at, u->reason);
}

int hodei__store_set_progress(hodei_store *st, int64_t seq, int progress)
{
	sqlite3_stmt *s = st->stmt[ST_PROGRESS];

	sqlite3_bind_int(s, 1, progress);
	sqlite3_bind_int64(s, 2, seq);
	return step_done(st, s, "storing progress");
}

void hodei_job_page_free(hodei_job_page *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		hodei_job_free(list->jobs[i]);
	free(list->jobs);
	free(list->next_cursor);
	free(list);
}

int hodei__store_history(hodei_store *st, int64_t seq, hodei_transition_list **out)
{
	sqlite3_stmt *s = NULL;
	hodei_transition_list *l = calloc(1, sizeof(*l));
	size_t cap = 0;
	int rc;

	if (!l)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(st->db, "SELECT attempt, state, at, reason FROM transitions"
	                               " WHERE job_seq = ? ORDER BY rowid", -1, &s, NULL) != SQLITE_OK) {
		free(l);
		return db_err(st, "reading history");
	}
	sqlite3_bind_int64(s, 1, seq);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (hodei__array_grow(&l->items, &cap, l->count, sizeof(*l->items), 8)) {
			rc = SQLITE_NOMEM;
			break;
		}
		l->items[l->count].attempt = sqlite3_column_int(s, 0);
		l->items[l->count].state = sqlite3_column_int(s, 1);
		l->items[l->count].at = sqlite3_column_int64(s, 2);
		l->items[l->count].reason = NULL;
		if (sqlite3_column_type(s, 3) != SQLITE_NULL &&
		    !(l->items[l->count].reason = col_str(s, 3))) {
			rc = SQLITE_NOMEM;
			break;
		}
		l->count++;
	}
	rc = rc == SQLITE_NOMEM ? hodei__err(HODEI_ENOMEM, "out of memory")
	                        : rows_done(st, rc, "reading history");
	sqlite3_finalize(s);
	if (rc) {
		hodei_transition_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void hodei_transition_list_free(hodei_transition_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].reason);
	free(l->items);
	free(l);
}

/*
 * Log writes (lib/logchunk.c): a segment or a sealed chunk as one row, the
 * job's counts updated with its new lines.  A line counts as stored only
 * when its number is above the job's last stored one: a write made again (a
 * retry of a commit that did in fact happen) is not counted twice, and a
 * segment made again is not stored twice.  A sealed chunk replaces the
 * segments it covers.  A write without data adds lost lines to the job.
 */
/* Parameters 1 .. n. */
static void bind_int64s(sqlite3_stmt *s, const int64_t *v, int n)
{
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, v[i]);
}

static int write_log(hodei_store *st, const hodei__logw *w)
{
	sqlite3_stmt *s;
	bool dup = false;
	int rc;

	if (!w->data) {
		s = st->stmt[ST_LOG_LOST];
		sqlite3_bind_int64(s, 1, w->lost);
		sqlite3_bind_int64(s, 2, w->job_seq);
		return step_done(st, s, "counting lost log lines");
	}
	if (w->new_lines > 0) {
		int64_t v[] = { w->new_lines, w->last_seq, w->new_bytes, w->job_seq, w->count_from };

		s = st->stmt[ST_LOG_COUNT];
		bind_int64s(s, v, 5);
		if ((rc = step_done(st, s, "counting log lines")))
			return rc;
		dup = sqlite3_changes(st->db) == 0;
	}
	if (dup && !w->replace)
		return 0;
	if (w->replace) {
		int64_t v[] = { w->job_seq, w->first_seq, w->last_seq };

		s = st->stmt[ST_DELETE_CHUNKS];
		bind_int64s(s, v, 3);
		if ((rc = step_done(st, s, "storing log lines")))
			return rc;
	}
	s = st->stmt[ST_INSERT_CHUNK];
	{
		int64_t v[] = { w->job_seq, w->first_seq, w->last_seq, w->first_ts, w->last_ts };

		bind_int64s(s, v, 5);
	}
	sqlite3_bind_int(s, 6, (int)w->levels);
	sqlite3_bind_int(s, 7, w->codec);
	sqlite3_bind_int64(s, 8, (int64_t)w->raw_len);
	sqlite3_bind_blob(s, 9, w->data, (int)w->len, SQLITE_STATIC);
	return step_done(st, s, "storing log lines");
}

int hodei__store_write_logs(hodei_store *st, const hodei__logw *recs, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = write_log(st, &recs[i]);
	return rc;
}

int hodei__store_logs_put(hodei_store *st, hodei__logw *recs, size_t n)
{
	jent e = { 0 };
	int rc = hodei__store_write_logs(st, recs, n);

	if (rc)
		return rc;
	e.kind = J_LOGS;
	e.depth = st->depth;
	e.must = true;
	e.recs = recs;
	e.n = n;
	if (hodei__store_jpush(&st->journal, &e)) /* stored, but could not be kept for a retry */
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

typedef struct page_filter {
	int64_t after;
	int min_level;
	const char *contains;
	size_t clen, limit;
} page_filter;

/* 1: the page is full (one more matched: `more`); 0: go on; < 0: error. */
static int page_add(hodei_log_page *p, const page_filter *f, const hodei_log_line *l)
{
	if (l->seq <= f->after || (f->min_level && l->level < f->min_level))
		return 0;
	if (f->clen && !memmem(l->text, l->len, f->contains, f->clen))
		return 0;
	if (p->count == f->limit) {
		p->more = 1;
		return 1;
	}
	if (hodei__page_push(p, l))
		return HODEI_ENOMEM;
	p->next_seq = l->seq;
	return 0;
}

/* Lines stored before schema 5, a row each. */
static int read_legacy(hodei_store *st, int64_t job_seq, const page_filter *f, hodei_log_page *p)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT seq, ts_us, stream, level, attempt, flags, text"
	                               " FROM logs WHERE job_seq = ?1 AND seq > ?2 ORDER BY seq",
	                       -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "reading logs");
	sqlite3_bind_int64(s, 1, job_seq);
	sqlite3_bind_int64(s, 2, f->after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei_log_line l;
		int full;

		l.seq = sqlite3_column_int64(s, 0);
		l.ts_us = sqlite3_column_int64(s, 1);
		l.stream = sqlite3_column_int(s, 2);
		l.level = sqlite3_column_int(s, 3);
		l.attempt = sqlite3_column_int(s, 4);
		l.flags = (unsigned int)sqlite3_column_int(s, 5);
		l.text = sqlite3_column_blob(s, 6);
		l.len = (size_t)sqlite3_column_bytes(s, 6);
		if (!l.text)
			l.text = "";
		if ((full = page_add(p, f, &l))) {
			sqlite3_finalize(s);
			return full < 0 ? hodei__err(HODEI_ENOMEM, "out of memory") : 1;
		}
	}
	rc = rows_done(st, rc, "reading logs");
	sqlite3_finalize(s);
	return rc;
}

/* The payload of the current chunk row, decompressed once for pages that
 * read on through it. */
static int chunk_payload(hodei_store *st, sqlite3_stmt *s, int64_t job_seq)
{
	int64_t key[3] = { job_seq, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1) };
	int64_t raw_len = sqlite3_column_int64(s, 4);
	const void *data;
	int rc;

	if (st->chunk_len && memcmp(key, st->chunk_key, sizeof(key)) == 0)
		return 0;
	st->chunk_len = 0;
	if (raw_len <= 0 || raw_len > 64 * HODEI__CHUNK_BYTES)
		return hodei__err(HODEI_EIO, "%s: job #%lld: log chunk at line %lld is damaged",
		                  st->path, (long long)job_seq, (long long)key[1]);
	data = sqlite3_column_blob(s, 5);
	rc = hodei__chunk_inflate(st->zd, sqlite3_column_int(s, 3), data ? data : "",
	                          (size_t)sqlite3_column_bytes(s, 5), (size_t)raw_len,
	                          &st->chunk_buf, &st->chunk_cap);
	if (rc == HODEI_ENOMEM)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc)
		return hodei__err(HODEI_EIO, "%s: job #%lld: log chunk at line %lld is damaged",
		                  st->path, (long long)job_seq, (long long)key[1]);
	memcpy(st->chunk_key, key, sizeof(key));
	st->chunk_len = (size_t)raw_len;
	return 0;
}

static int read_chunks(hodei_store *st, int64_t job_seq, const page_filter *f, hodei_log_page *p)
{
	sqlite3_stmt *s = st->stmt[ST_READ_CHUNKS];
	unsigned int want = f->min_level > 0 ? ~((1u << f->min_level) - 1) : ~0u;
	int rc, full = 0;

	sqlite3_bind_int64(s, 1, job_seq);
	sqlite3_bind_int64(s, 2, f->after);
	while (!full && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei__chunk_iter it;
		hodei_log_line l;

		if (sqlite3_column_int64(s, 1) <= f->after ||
		    !((unsigned int)sqlite3_column_int(s, 2) & want))
			continue; /* no line of it is wanted */
		if ((full = chunk_payload(st, s, job_seq)))
			break;
		if (hodei__chunk_iter_init(&it, st->chunk_buf, st->chunk_len,
		                           sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1))) {
			full = HODEI_EIO;
		} else {
			while ((full = hodei__chunk_next(&it, &l)) == 1)
				if ((full = page_add(p, f, &l)))
					break;
		}
		if (full == HODEI_EIO) {
			st->chunk_len = 0;
			full = hodei__err(HODEI_EIO, "%s: job #%lld: log chunk at line %lld is damaged",
			                  st->path, (long long)job_seq,
			                  (long long)sqlite3_column_int64(s, 0));
		} else if (full == HODEI_ENOMEM) {
			full = hodei__err(HODEI_ENOMEM, "out of memory");
		}
	}
	if (!full)
		full = rows_done(st, rc, "reading logs");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return full < 0 ? full : 0;
}

int hodei__store_logs_read(hodei_store *st, int64_t job_seq, const hodei_log_query *q,
                           hodei_log_page **out)
{
	page_filter f = { q->after_seq, q->min_level, q->contains, 0, q->limit ? q->limit : 1000 };
	hodei_log_page *p;
	int rc = 0;

	if (f.limit > 10000)
		return hodei__err(HODEI_EINVAL, "limit: at most 10000 lines per page");
	if (f.contains)
		f.clen = strlen(f.contains);
	if (!(p = hodei__page_new()))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	p->next_seq = q->after_seq;
	if (st->legacy_logs)
		rc = read_legacy(st, job_seq, &f, p);
	if (rc == 0)
		rc = read_chunks(st, job_seq, &f, p);
	if (rc < 0) {
		hodei_log_page_free(p);
		return rc;
	}
	hodei__page_done(p);
	*out = p;
	return 0;
}

/*
 * Logs of the jobs that finished before cutoff_ms, but only of those that
 * finished since the last sweep's cutoff (meta logs_swept_to): the older ones
 * lost theirs then.  Over every finished job, a sweep of a million-job store
 * held the context ~1 s at each start and each hour.
 */
#define SWEPT_JOBS                                                                         \
	"SELECT seq FROM jobs WHERE finished_at > 0 AND finished_at < ?1 AND finished_at >="   \
	" coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'logs_swept_to'), 0)"

int hodei__store_logs_sweep(hodei_store *st, int64_t cutoff_ms, int64_t *deleted)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;
	int rc;

	if ((rc = hodei__store_exec(st, "BEGIN IMMEDIATE")))
		return rc;
	st->chunk_len = 0;
	for (int i = 0; i < 2 && !rc; i++) {
		/* a chunk's lines count as what was deleted */
		static const char *const sql[] = {
			"DELETE FROM logs WHERE job_seq IN (" SWEPT_JOBS ")",
			"DELETE FROM log_chunks WHERE job_seq IN (" SWEPT_JOBS ") RETURNING"
			" last_seq - first_seq + 1",
		};

		if (sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL) != SQLITE_OK) {
			rc = db_err(st, "sweeping logs");
			goto out;
		}
		sqlite3_bind_int64(s, 1, cutoff_ms);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			n += sqlite3_column_int64(s, 0);
		rc = rc == SQLITE_DONE ? 0 : db_err(st, "sweeping logs");
		if (i == 0)
			n += sqlite3_changes(st->db);
		sqlite3_finalize(s);
	}
	if (!rc && sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta(key, value)"
	                                      " SELECT 'logs_swept_to', ?1 WHERE ?1 > coalesce((SELECT CAST("
	                                      "value AS INTEGER) FROM meta WHERE key = 'logs_swept_to'), 0)",
	                              -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, cutoff_ms);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "sweeping logs");
		sqlite3_finalize(s);
	}
out:
	if (rc)
		rollback(st);
	else
		rc = hodei__store_exec(st, "COMMIT");
	if (deleted)
		*deleted = rc ? 0 : n;
	return rc;
}

int hodei__store_scan_active(hodei_store *st, hodei__recover_fn fn, void *ud)
{
	sqlite3_stmt *s = NULL;

	/* Queued jobs go to a heap ordered by (priority, qseq): no sort needed for
	 * them (a million would take a second); the few others in qseq order. */
	static const char *const scans[] = { "state = 1", "state IN (2,3) ORDER BY qseq" };

	for (int i = 0; i < 2; i++) {
		char sql[200];
		int rc;

		snprintf(sql, sizeof(sql), "SELECT seq, state, priority, qseq, not_before, attempt,"
		         " max_retries, pid, pid_start FROM jobs WHERE %s", scans[i]);
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
			return db_err(st, "scanning jobs");
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			fn(ud, sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1),
			   sqlite3_column_int(s, 2), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
			   sqlite3_column_int(s, 5), sqlite3_column_int(s, 6), sqlite3_column_int64(s, 7),
			   sqlite3_column_int64(s, 8));
		rc = rows_done(st, rc, "scanning jobs");
		sqlite3_finalize(s);
		if (rc)
			return rc;
	}
	return 0;
}

int hodei__store_state_counts(hodei_store *st, int64_t counts[8])
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(counts, 0, 8 * sizeof(counts[0]));
	if (sqlite3_prepare_v2(st->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_err(st, "counting jobs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);

		if (state >= 1 && state <= 7)
			counts[state] = sqlite3_column_int64(s, 1);
	}
	rc = rows_done(st, rc, "counting jobs");
	sqlite3_finalize(s);
	return rc;
}

/* Sums of job_rollup rows of one kind from bucket `from` (to `to`, if > 0). */
static sqlite3_stmt *rollup_rows(hodei_store *st, const char *cols, int kind, int64_t from,
                                 int64_t to)
{
	sqlite3_stmt *s = NULL;
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT %s FROM job_rollup WHERE kind = ?1 AND bucket >= ?2"
	         " AND (?3 = 0 OR bucket < ?3)%s", cols, strchr(cols, '(') ? " GROUP BY state" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int(s, 1, kind);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	return s;
}

/*
 * Range figures from job_rollup: by minute for 1h, by hour for the longer
 * ranges (their bounds fall on whole hours).  Same answers as scanning jobs
 * for created_at >= start, and for start <= finished_at < end.
 */
int hodei__store_metrics(hodei_store *st, hodei_metrics *m)
{
	int64_t unit = m->bucket_ms < 3600000 ? 60000 : 3600000;
	int hourly = unit == 3600000;
	int64_t finished = 0, succeeded = 0, dur_n = 0;
	double dur_sum = 0;
	sqlite3_stmt *s = rollup_rows(st, "state, sum(n)", hourly, m->range_start_ms / unit, 0);
	int rc;

	if (!s)
		return db_err(st, "metrics");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);

		if (state >= 1 && state <= 7) {
			m->range_by_state[state] = sqlite3_column_int64(s, 1);
			m->range_total += m->range_by_state[state];
		}
	}
	rc = rows_done(st, rc, "metrics");
	sqlite3_finalize(s);
	if (rc)
		return rc;
	s = rollup_rows(st, "bucket, state, n, dur_n, dur_sum", 2 + hourly, m->range_start_ms / unit,
	                m->range_end_ms / unit);
	if (!s)
		return db_err(st, "metrics");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(s, 0) * unit, n = sqlite3_column_int64(s, 2);
		int state = sqlite3_column_int(s, 1);
		size_t b = (size_t)((at - m->range_start_ms) / m->bucket_ms);

		if (b >= m->nbuckets)
			b = m->nbuckets - 1;
		finished += n;
		if (state == HODEI_JOB_SUCCEEDED) {
			succeeded += n;
			m->buckets[b].succeeded += n;
		} else if (state == HODEI_JOB_CANCELLED) {
			m->buckets[b].cancelled += n;
		} else {
			m->buckets[b].failed += n;
		}
		dur_n += sqlite3_column_int64(s, 3);
		dur_sum += (double)sqlite3_column_int64(s, 4);
	}
	rc = rows_done(st, rc, "metrics");
	sqlite3_finalize(s);
	if (rc)
		return rc;
	m->success_rate = finished ? (double)succeeded / (double)finished : 0;
	m->avg_duration_ms = dur_n ? dur_sum / (double)dur_n : 0;
	return 0;
}

int hodei__store_provider_put(hodei_store *st, const hodei_provider_config *cfg, int insert)
{
	sqlite3_stmt *s = NULL;
	int64_t now = hodei__now_ms();
	const char *sql = insert
		? "INSERT INTO providers(name, type, endpoint, token, labels, max_memory, max_vcpus,"
		  " gpu, max_workers, options, status, health_score, created_at, updated_at)"
		  " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,1,100,?11,?11)"
		: "UPDATE providers SET type = ?2, endpoint = ?3, token = coalesce(?4, token),"
		  " labels = ?5, max_memory = ?6, max_vcpus = ?7, gpu = ?8, max_workers = ?9,"
		  " options = ?10, updated_at = ?11 WHERE name = ?1";
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "storing provider");
	sqlite3_bind_text(s, 1, cfg->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, cfg->type, -1, SQLITE_STATIC);
	bind_text(s, 3, cfg->endpoint);
	bind_text(s, 4, cfg->token);
	bind_vec(s, 5, cfg->labels, cfg->nlabels);
	sqlite3_bind_int64(s, 6, (int64_t)cfg->max_memory_bytes);
	sqlite3_bind_int64(s, 7, cfg->max_vcpus);
	sqlite3_bind_int(s, 8, cfg->gpu ? 1 : 0);
	sqlite3_bind_int64(s, 9, cfg->max_workers);
	bind_text(s, 10, cfg->options_json);
	sqlite3_bind_int64(s, 11, now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return hodei__err(HODEI_EEXISTS, "name: a provider named '%s' already exists", cfg->name);
	return rc == SQLITE_DONE ? 0 : db_err(st, "storing provider");
}

int hodei__store_provider_delete(hodei_store *st, const char *name)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM providers WHERE name = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_err(st, "removing provider");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "removing provider");
	sqlite3_finalize(s);
	return rc;
}

int hodei__store_provider_status(hodei_store *st, const char *name, int status, int score,
                                 const char *message, int log)
{
	sqlite3_stmt *s = NULL;
	int64_t now = hodei__now_ms();
	int rc;

	if (sqlite3_prepare_v2(st->db, "UPDATE providers SET status = ?, health_score = ?,"
	                               " status_message = ?, updated_at = ? WHERE name = ?", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_err(st, "storing provider status");
	sqlite3_bind_int(s, 1, status);
	sqlite3_bind_int(s, 2, score);
	bind_text(s, 3, message);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_text(s, 5, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "storing provider status");
	sqlite3_finalize(s);
	if (rc || !log)
		return rc;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO health_log(provider, at, status, score, message)"
	                               " VALUES(?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "storing health log");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, status);
	sqlite3_bind_int(s, 4, score);
	bind_text(s, 5, message);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "storing health log");
	sqlite3_finalize(s);
	return rc;
}

int hodei__store_providers_scan(hodei_store *st, hodei__provider_row_fn fn, void *ud)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT name, type, endpoint, token, labels, max_memory,"
	                               " max_vcpus, gpu, max_workers, options, status, health_score,"
	                               " status_message, created_at, updated_at FROM providers"
	                               " ORDER BY created_at", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "reading providers");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
		size_t n = 0;
		bool nomem = false;
		char **labels = col_vec(s, 4, &n, &nomem);

		if (nomem) {
			rc = SQLITE_NOMEM;
			break;
		}
		cfg.name = (const char *)sqlite3_column_text(s, 0);
		cfg.type = (const char *)sqlite3_column_text(s, 1);
		cfg.endpoint = (const char *)sqlite3_column_text(s, 2);
		cfg.token = (const char *)sqlite3_column_text(s, 3);
		cfg.labels = (const char *const *)labels;
		cfg.nlabels = n;
		cfg.max_memory_bytes = (uint64_t)sqlite3_column_int64(s, 5);
		cfg.max_vcpus = (uint32_t)sqlite3_column_int64(s, 6);
		cfg.gpu = sqlite3_column_int(s, 7);
		cfg.max_workers = (uint32_t)sqlite3_column_int64(s, 8);
		cfg.options_json = (const char *)sqlite3_column_text(s, 9);
		fn(ud, &cfg, sqlite3_column_int(s, 10), sqlite3_column_int(s, 11),
		   (const char *)sqlite3_column_text(s, 12), sqlite3_column_int64(s, 13),
		   sqlite3_column_int64(s, 14));
		hodei__vec_free(labels, n);
	}
	rc = rc == SQLITE_NOMEM ? hodei__err(HODEI_ENOMEM, "out of memory")
	                        : rows_done(st, rc, "reading providers");
	sqlite3_finalize(s);
	return rc;
}

int hodei__store_health_log(hodei_store *st, const char *name, size_t limit,
                            hodei_health_log **out)
{
	sqlite3_stmt *s = NULL;
	hodei_health_log *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(st->db, "SELECT at, status, score, message FROM health_log"
	                               " WHERE provider = ? ORDER BY at DESC, rowid DESC LIMIT ?",
	                       -1, &s, NULL) != SQLITE_OK) {
		free(l);
		return db_err(st, "reading health log");
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)(limit ? limit : 100));
	if (!(l->items = calloc(limit ? limit : 100, sizeof(*l->items)))) {
		sqlite3_finalize(s);
		free(l);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei_health_entry *e = &l->items[l->count++];

		e->at = sqlite3_column_int64(s, 0);
		e->status = sqlite3_column_int(s, 1);
		e->score = sqlite3_column_int(s, 2);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL && !(e->message = col_str(s, 3))) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	rc = rc == SQLITE_NOMEM ? hodei__err(HODEI_ENOMEM, "out of memory")
	                        : rows_done(st, rc, "reading health log");
	sqlite3_finalize(s);
	if (rc) {
		hodei_health_log_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void hodei_health_log_free(hodei_health_log *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].message);
	free(l->items);
	free(l);
}
