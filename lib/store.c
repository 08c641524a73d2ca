/*
 * The job store: the only module that talks to SQLite.  WAL mode, short
 * transactions, prepared statements kept for the hot paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define SCHEMA_VERSION "1"

enum {
	ST_INSERT_JOB, ST_INSERT_TRANS, ST_LOAD_SEQ, ST_LOAD_ID, ST_SEQ_OF_ID, ST_INSERT_LOG,
	ST_LOG_COUNT, ST_PROGRESS, ST_NEXT_QSEQ, ST__COUNT
};

struct hodei_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
	sqlite3_stmt *tcache[64]; /* transition UPDATEs, by shape */
	int64_t qseq;
};

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
	"CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);"
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
	"INSERT OR IGNORE INTO meta(key, value) VALUES('format', 'hodei'), ('schema', '" SCHEMA_VERSION
	"');";

#define JOB_COLS                                                                         \
	"seq, id, name, command, args, env, labels, priority, timeout_ms, cpu_millis,"      \
	" memory_bytes, max_retries, workdir, queued_by, flags, provider_pin, state, attempt," \
	" exit_code, term_signal, reason, progress, created_at, queued_at, started_at,"     \
	" finished_at, cpu_time_us, max_rss_kb, worker_id, provider, log_lines,"      \
	" last_log_seq"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_INSERT_JOB] =
		"INSERT INTO jobs(id, name, command, args, env, labels, priority, timeout_ms,"
		" cpu_millis, memory_bytes, max_retries, workdir, queued_by, flags, provider_pin,"
		" state, attempt, qseq, created_at, queued_at)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,1,?,?,?)",
	[ST_INSERT_TRANS] = "INSERT INTO transitions(job_seq, attempt, state, at, reason)"
	                    " VALUES(?,?,?,?,?)",
	[ST_LOAD_SEQ] = "SELECT " JOB_COLS " FROM jobs WHERE seq = ?",
	[ST_LOAD_ID] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?",
	[ST_SEQ_OF_ID] = "SELECT seq, state FROM jobs WHERE id = ?",
	[ST_INSERT_LOG] = "INSERT OR IGNORE INTO logs(job_seq, seq, ts_us, stream, level, attempt,"
	                  " flags, text) VALUES(?,?,?,?,?,?,?,?)",
	[ST_LOG_COUNT] = "UPDATE jobs SET log_lines = log_lines + ?, last_log_seq ="
	                 " max(last_log_seq, ?) WHERE seq = ?",
	[ST_PROGRESS] = "UPDATE jobs SET progress = ? WHERE seq = ?",
	[ST_NEXT_QSEQ] = "SELECT coalesce(max(qseq), 0) FROM jobs",
};

static int db_err(hodei_store *st, const char *what)
{
	int code = sqlite3_errcode(st->db);

	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		return hodei__err(HODEI_ENOTDB, "%s: not a Hodei database (%s)", st->path,
		                  sqlite3_errmsg(st->db));
	return hodei__err(HODEI_EIO, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(hodei_store *st, const char *sql)
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

int hodei__store_open(hodei_store **out, const char *path, int sync_full)
{
	hodei_store *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	st->path = strdup(path);
	if (sqlite3_open_v2(path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		rc = hodei__err(HODEI_EIO, "db_path: cannot open '%s': %s", path,
		                st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if ((rc = check_format(st)) ||
	    (rc = exec(st, sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                             : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) ||
	    (rc = exec(st, "BEGIN")) || (rc = exec(st, schema)) || (rc = exec(st, "COMMIT")))
		goto fail;
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
		                       NULL) != SQLITE_OK) {
			rc = db_err(st, "preparing statements");
			goto fail;
		}
	if (sqlite3_step(st->stmt[ST_NEXT_QSEQ]) == SQLITE_ROW)
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
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (int i = 0; i < 64; i++)
		sqlite3_finalize(st->tcache[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int hodei__store_begin(hodei_store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

int hodei__store_commit(hodei_store *st)
{
	return exec(st, "COMMIT");
}

void hodei__store_rollback(hodei_store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
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

static int step_done(hodei_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_CONSTRAINT)
		return HODEI_EEXISTS;
	return db_err(st, what);
}

static int insert_transition(hodei_store *st, int64_t seq, int attempt, int state, int64_t at,
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
	rc = step_done(st, s, "inserting job");
	if (rc == HODEI_EEXISTS)
		return hodei__err(HODEI_EEXISTS, "id: a job with id '%s' already exists", id);
	if (rc)
		return rc;
	*seq = sqlite3_last_insert_rowid(st->db);
	return insert_transition(st, *seq, 1, HODEI_JOB_QUEUED, now, NULL);
}

static char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

static char **col_vec(sqlite3_stmt *s, int i, size_t *n)
{
	const void *b = sqlite3_column_blob(s, i);
	int len = sqlite3_column_bytes(s, i);

	*n = 0;
	return hodei__vec_unpack(b ? b : "", (size_t)len, n);
}

static hodei_job *row_to_job(sqlite3_stmt *s)
{
	hodei_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->version = HODEI_JOB_VERSION;
	j->seq = sqlite3_column_int64(s, 0);
	j->id = col_str(s, 1);
	j->name = col_str(s, 2);
	j->command = col_str(s, 3);
	j->args = col_vec(s, 4, &j->nargs);
	j->env = col_vec(s, 5, &j->nenv);
	j->labels = col_vec(s, 6, &j->nlabels);
	j->priority = sqlite3_column_int(s, 7);
	j->timeout_ms = sqlite3_column_int64(s, 8);
	j->cpu_millis = (uint32_t)sqlite3_column_int64(s, 9);
	j->memory_bytes = (uint64_t)sqlite3_column_int64(s, 10);
	j->max_retries = sqlite3_column_int(s, 11);
	j->workdir = col_str(s, 12);
	j->queued_by = col_str(s, 13);
	j->flags = (unsigned int)sqlite3_column_int(s, 14);
	j->provider_pin = col_str(s, 15);
	j->state = sqlite3_column_int(s, 16);
	j->attempt = sqlite3_column_int(s, 17);
	j->exit_code = sqlite3_column_int(s, 18);
	j->term_signal = sqlite3_column_int(s, 19);
	j->reason = col_str(s, 20);
	j->progress = sqlite3_column_int(s, 21);
	j->created_at = sqlite3_column_int64(s, 22);
	j->queued_at = sqlite3_column_int64(s, 23);
	j->started_at = sqlite3_column_int64(s, 24);
	j->finished_at = sqlite3_column_int64(s, 25);
	j->cpu_time_us = sqlite3_column_int64(s, 26);
	j->max_rss_kb = sqlite3_column_int64(s, 27);
	j->worker_id = col_str(s, 28);
	j->provider = col_str(s, 29);
	j->log_lines = sqlite3_column_int64(s, 30);
	j->last_log_seq = sqlite3_column_int64(s, 31);
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
	if (u->set_queue)
		hodei__buf_addf(&sql, ", qseq = ?, not_before = ?, exit_code = -1, term_signal = 0,"
		                      " progress = -1");
	if (u->set_pid)
		hodei__buf_addf(&sql, ", pid = ?, pid_start = ?");
	hodei__buf_addf(&sql, " WHERE seq = ?");
	if (sql.data)
		sqlite3_prepare_v3(st->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &st->tcache[key],
		                   NULL);
	hodei__buf_free(&sql);
	return st->tcache[key];
}

int hodei__store_transition(hodei_store *st, int64_t seq, const hodei__jobupd *u)
{
	int timecol, i = 1, rc;
	sqlite3_stmt *s = transition_stmt(st, u, &timecol);

	if (!s)
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
	return insert_transition(st, seq, u->attempt, u->state, u->at, u->reason);
}

int hodei__store_set_progress(hodei_store *st, int64_t seq, int progress)
{
	sqlite3_stmt *s = st->stmt[ST_PROGRESS];

	sqlite3_bind_int(s, 1, progress);
	sqlite3_bind_int64(s, 2, seq);
	return step_done(st, s, "storing progress");
}

/* WHERE clause shared by list and count; binds follow the same order. */
static void filter_sql(hodei__buf *sql, const hodei_job_filter *f)
{
	hodei__buf_addf(sql, " WHERE 1");
	if (f->state_mask) {
		const char *sep = "";

		hodei__buf_addf(sql, " AND state IN (");
		for (int s = 1; s <= 7; s++)
			if (f->state_mask & HODEI_STATE_BIT(s)) {
				hodei__buf_addf(sql, "%s%d", sep, s);
				sep = ",";
			}
		hodei__buf_addf(sql, ")");
	}
	if (f->search && *f->search)
		hodei__buf_addf(sql, " AND (substr(id, 1, length(?1)) = ?1 OR instr(lower(name),"
		                     " lower(?1)) > 0)");
}

static int parse_cursor(const char *cursor, int64_t *seq)
{
	char *end;
	long long v;

	*seq = 0;
	if (!cursor || !*cursor)
		return 0;
	v = strtoll(cursor, &end, 10);
	if (*end || v <= 0)
		return hodei__err(HODEI_EINVAL, "cursor: '%.64s' is not a cursor from a previous page",
		                  cursor);
	*seq = v;
	return 0;
}

int hodei__store_list(hodei_store *st, const hodei_job_filter *f, hodei_job_page **out)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s = NULL;
	hodei_job_page *list;
	size_t limit = f->limit ? f->limit : 50;
	int64_t after;
	int rc;

	if (limit > 1000)
		return hodei__err(HODEI_EINVAL, "limit: at most 1000 jobs per page");
	if ((rc = parse_cursor(f->cursor, &after)))
		return rc;
	hodei__buf_addf(&sql, "SELECT " JOB_COLS " FROM jobs");
	filter_sql(&sql, f);
	if (after)
		hodei__buf_addf(&sql, " AND seq %s %lld", f->order == HODEI_ORDER_OLDEST ? ">" : "<",
		                (long long)after);
	hodei__buf_addf(&sql, " ORDER BY seq %s LIMIT %zu",
	                f->order == HODEI_ORDER_OLDEST ? "ASC" : "DESC", limit + 1);
	if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		hodei__buf_free(&sql);
		return db_err(st, "listing jobs");
	}
	hodei__buf_free(&sql);
	if (f->search && *f->search)
		sqlite3_bind_text(s, 1, f->search, -1, SQLITE_STATIC);
	list = calloc(1, sizeof(*list));
	list->jobs = calloc(limit + 1, sizeof(*list->jobs));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (list->count == limit) {
			list->next_cursor = hodei__sprintf("%lld", (long long)list->jobs[limit - 1]->seq);
			break;
		}
		list->jobs[list->count++] = row_to_job(s);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_err(st, "listing jobs");
		sqlite3_finalize(s);
		hodei_job_page_free(list);
		return rc;
	}
	sqlite3_finalize(s);
	*out = list;
	return 0;
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

int hodei__store_count(hodei_store *st, const hodei_job_filter *f, int64_t *count)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s = NULL;
	int rc;

	hodei__buf_addf(&sql, "SELECT count(*) FROM jobs");
	filter_sql(&sql, f);
	rc = sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL);
	hodei__buf_free(&sql);
	if (rc != SQLITE_OK)
		return db_err(st, "counting jobs");
	if (f->search && *f->search)
		sqlite3_bind_text(s, 1, f->search, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_err(st, "counting jobs");
}

int hodei__store_history(hodei_store *st, int64_t seq, hodei_transition_list **out)
{
	sqlite3_stmt *s = NULL;
	hodei_transition_list *l = calloc(1, sizeof(*l));
	size_t cap = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT attempt, state, at, reason FROM transitions"
	                               " WHERE job_seq = ? ORDER BY rowid", -1, &s, NULL) != SQLITE_OK) {
		free(l);
		return db_err(st, "reading history");
	}
	sqlite3_bind_int64(s, 1, seq);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (l->count == cap) {
			cap = cap ? cap * 2 : 8;
			l->items = realloc(l->items, cap * sizeof(*l->items));
		}
		l->items[l->count].attempt = sqlite3_column_int(s, 0);
		l->items[l->count].state = sqlite3_column_int(s, 1);
		l->items[l->count].at = sqlite3_column_int64(s, 2);
		l->items[l->count].reason = col_str(s, 3);
		l->count++;
	}
	sqlite3_finalize(s);
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

int hodei__store_logs_insert(hodei_store *st, const hodei__logrec *recs, size_t n)
{
	sqlite3_stmt *s = st->stmt[ST_INSERT_LOG], *c = st->stmt[ST_LOG_COUNT];
	int rc = 0;

	/* One counter update per run of a job's lines.  A line counts as stored
	 * only when its number was new: a duplicate (a worker resending a batch)
	 * is ignored, not counted. */
	for (size_t i = 0; i < n && !rc;) {
		int64_t stored = 0, last = 0;
		size_t j = i;

		for (; j < n && recs[j].job_seq == recs[i].job_seq && !rc; j++) {
			const hodei__logrec *r = &recs[j];

			sqlite3_bind_int64(s, 1, r->job_seq);
			sqlite3_bind_int64(s, 2, r->seq);
			sqlite3_bind_int64(s, 3, r->ts_us);
			sqlite3_bind_int(s, 4, r->stream);
			sqlite3_bind_int(s, 5, r->level);
			sqlite3_bind_int(s, 6, r->attempt);
			sqlite3_bind_int(s, 7, (int)r->flags);
			sqlite3_bind_blob(s, 8, r->text, (int)r->len, SQLITE_STATIC);
			rc = step_done(st, s, "storing log lines");
			stored += sqlite3_changes(st->db);
			if (r->seq > last)
				last = r->seq;
		}
		if (rc)
			break;
		sqlite3_bind_int64(c, 1, stored);
		sqlite3_bind_int64(c, 2, last);
		sqlite3_bind_int64(c, 3, recs[i].job_seq);
		rc = step_done(st, c, "counting log lines");
		i = j;
	}
	return rc;
}

int hodei__store_logs_read(hodei_store *st, int64_t job_seq, const hodei_log_query *q,
                           hodei_log_page **out)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s = NULL;
	size_t limit = q->limit ? q->limit : 1000, cap = 0;
	hodei_log_page *p;
	int rc, i = 3;

	if (limit > 10000)
		return hodei__err(HODEI_EINVAL, "limit: at most 10000 lines per page");
	hodei__buf_addf(&sql, "SELECT seq, ts_us, stream, level, attempt, flags, text FROM logs"
	                      " WHERE job_seq = ?1 AND seq > ?2");
	if (q->min_level > 0)
		hodei__buf_addf(&sql, " AND level >= %d", q->min_level);
	if (q->contains && *q->contains)
		hodei__buf_addf(&sql, " AND instr(text, ?3) > 0");
	hodei__buf_addf(&sql, " ORDER BY seq LIMIT %zu", limit + 1);
	rc = sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL);
	hodei__buf_free(&sql);
	if (rc != SQLITE_OK)
		return db_err(st, "reading logs");
	sqlite3_bind_int64(s, 1, job_seq);
	sqlite3_bind_int64(s, 2, q->after_seq);
	if (q->contains && *q->contains)
		sqlite3_bind_blob(s, i, q->contains, (int)strlen(q->contains), SQLITE_STATIC);
	p = calloc(1, sizeof(*p));
	p->next_seq = q->after_seq;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei_log_line *l;
		int len = sqlite3_column_bytes(s, 6);

		if (p->count == limit) {
			p->more = 1;
			break;
		}
		if (p->count == cap) {
			cap = cap ? cap * 2 : 64;
			p->lines = realloc(p->lines, cap * sizeof(*p->lines));
		}
		l = &p->lines[p->count++];
		l->seq = sqlite3_column_int64(s, 0);
		l->ts_us = sqlite3_column_int64(s, 1);
		l->stream = sqlite3_column_int(s, 2);
		l->level = sqlite3_column_int(s, 3);
		l->attempt = sqlite3_column_int(s, 4);
		l->flags = (unsigned int)sqlite3_column_int(s, 5);
		l->len = (size_t)len;
		l->text = hodei__strndup(len ? sqlite3_column_blob(s, 6) : "", (size_t)len);
		p->next_seq = l->seq;
	}
	sqlite3_finalize(s);
	*out = p;
	return 0;
}

void hodei_log_page_free(hodei_log_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++)
		free((char *)p->lines[i].text);
	free(p->lines);
	free(p);
}

int hodei__store_logs_sweep(hodei_store *st, int64_t cutoff_ms, int64_t *deleted)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM logs WHERE job_seq IN (SELECT seq FROM jobs"
	                               " WHERE finished_at > 0 AND finished_at < ?)", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_err(st, "sweeping logs");
	sqlite3_bind_int64(s, 1, cutoff_ms);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "sweeping logs");
	sqlite3_finalize(s);
	if (deleted)
		*deleted = rc ? 0 : sqlite3_changes(st->db);
	return rc;
}

int hodei__store_scan_active(hodei_store *st, hodei__recover_fn fn, void *ud)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT seq, state, priority, qseq, not_before, attempt,"
	                               " max_retries, pid, pid_start FROM jobs WHERE state IN (1,2,3)"
	                               " ORDER BY qseq", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "scanning jobs");
	while (sqlite3_step(s) == SQLITE_ROW)
		fn(ud, sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), sqlite3_column_int(s, 2),
		   sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4), sqlite3_column_int(s, 5),
		   sqlite3_column_int(s, 6), sqlite3_column_int64(s, 7), sqlite3_column_int64(s, 8));
	sqlite3_finalize(s);
	return 0;
}

int hodei__store_state_counts(hodei_store *st, int64_t counts[8])
{
	sqlite3_stmt *s = NULL;

	memset(counts, 0, 8 * sizeof(counts[0]));
	if (sqlite3_prepare_v2(st->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_err(st, "counting jobs");
	while (sqlite3_step(s) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);

		if (state >= 1 && state <= 7)
			counts[state] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return 0;
}

int hodei__store_metrics(hodei_store *st, hodei_metrics *m)
{
	sqlite3_stmt *s = NULL;
	int64_t finished = 0, succeeded = 0, dur_n = 0;
	double dur_sum = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT state, count(*) FROM jobs WHERE created_at >= ?"
	                               " GROUP BY state", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "metrics");
	sqlite3_bind_int64(s, 1, m->range_start_ms);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);

		if (state >= 1 && state <= 7) {
			m->range_by_state[state] = sqlite3_column_int64(s, 1);
			m->range_total += m->range_by_state[state];
		}
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(st->db, "SELECT finished_at, state, started_at FROM jobs"
	                               " WHERE finished_at >= ? AND finished_at < ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_err(st, "metrics");
	sqlite3_bind_int64(s, 1, m->range_start_ms);
	sqlite3_bind_int64(s, 2, m->range_end_ms);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(s, 0), started = sqlite3_column_int64(s, 2);
		int state = sqlite3_column_int(s, 1);
		size_t b = (size_t)((at - m->range_start_ms) / m->bucket_ms);

		if (b >= m->nbuckets)
			b = m->nbuckets - 1;
		finished++;
		if (state == HODEI_JOB_SUCCEEDED) {
			succeeded++;
			m->buckets[b].succeeded++;
		} else if (state == HODEI_JOB_CANCELLED) {
			m->buckets[b].cancelled++;
		} else {
			m->buckets[b].failed++;
		}
		if (started > 0 && at >= started) {
			dur_sum += (double)(at - started);
			dur_n++;
		}
	}
	sqlite3_finalize(s);
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

	if (sqlite3_prepare_v2(st->db, "SELECT name, type, endpoint, token, labels, max_memory,"
	                               " max_vcpus, gpu, max_workers, options, status, health_score,"
	                               " status_message, created_at, updated_at FROM providers"
	                               " ORDER BY created_at", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "reading providers");
	while (sqlite3_step(s) == SQLITE_ROW) {
		hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
		size_t n = 0;
		char **labels = col_vec(s, 4, &n);

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
	sqlite3_finalize(s);
	return 0;
}

int hodei__store_health_log(hodei_store *st, const char *name, size_t limit,
                            hodei_health_log **out)
{
	sqlite3_stmt *s = NULL;
	hodei_health_log *l = calloc(1, sizeof(*l));

	if (sqlite3_prepare_v2(st->db, "SELECT at, status, score, message FROM health_log"
	                               " WHERE provider = ? ORDER BY at DESC, rowid DESC LIMIT ?",
	                       -1, &s, NULL) != SQLITE_OK) {
		free(l);
		return db_err(st, "reading health log");
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)(limit ? limit : 100));
	l->items = calloc(limit ? limit : 100, sizeof(*l->items));
	while (sqlite3_step(s) == SQLITE_ROW) {
		hodei_health_entry *e = &l->items[l->count++];

		e->at = sqlite3_column_int64(s, 0);
		e->status = sqlite3_column_int(s, 1);
		e->score = sqlite3_column_int(s, 2);
		e->message = col_str(s, 3);
	}
	sqlite3_finalize(s);
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
