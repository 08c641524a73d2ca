/*
 * The store's transactions: nested levels (SAVEPOINTs), the journal of what
 * a transaction wrote, and the writes kept for a retry when it could not
 * commit (disk full).  See the comment below and ARCHITECTURE.md,
 * "Durability and recovery".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 * Transactions.  hodei__store_begin() opens a level: the outermost BEGINs
 * (IMMEDIATE: the write lock at once), the inner ones are SAVEPOINTs, so an
 * inner failure rolls back only what that level wrote and its caller sees
 * the error.  hodei__store_begin_lazy() opens a level that BEGINs nothing
 * itself: the first inner level does (the scheduler's batch, one
 * transaction for what one loop callback writes, and none when it writes
 * nothing).  A level whose begin failed refuses every write made under it,
 * so nothing runs in autocommit by mistake; so does a transaction that
 * SQLite rolled back by itself (SQLITE_FULL and I/O errors may).
 *
 * The store keeps every job transition and log batch written in the
 * transaction (the journal) until its COMMIT.  When the COMMIT fails, the
 * writes whose callers already went on (lines, outcomes, anything written
 * at an inner level that ended well) move to the redo list; the next BEGIN
 * makes them first, in order, and hodei__store_retry() (the scheduler's
 * timer, with backoff) makes them when nothing else writes.  So a full disk
 * delays what the store records, and never loses it while this process
 * lives (hodei__store_backlog() says how much waits).
 */
static bool tx_dead(hodei_store *st)
{
	return st->in_tx && sqlite3_get_autocommit(st->db);
}

/* A write is refused under a level that could not begin, or in a
 * transaction SQLite already rolled back. */
int hodei__store_write_refused(hodei_store *st)
{
	if (st->failed)
		return hodei__err(st->fail_rc, "%s", st->fail_msg);
	if (tx_dead(st))
		return hodei__err(st->fail_rc ? st->fail_rc : HODEI_EIO, "%s: the transaction was"
		                  " rolled back after an error%s%s", st->path,
		                  st->fail_rc ? ": " : "", st->fail_rc ? st->fail_msg : "");
	return 0;
}

/* The first failure in a transaction, for what is refused after it. */
static void note_failure(hodei_store *st, int rc)
{
	if (st->fail_rc)
		return;
	st->fail_rc = rc;
	snprintf(st->fail_msg, sizeof(st->fail_msg), "%s", hodei_error_last());
}

static void jent_free(jent *e)
{
	free((char *)e->u.reason);
	free((char *)e->u.worker_id);
	free((char *)e->u.provider);
	for (size_t i = 0; e->recs && i < e->n; i++)
		hodei__logw_free(&e->recs[i]);
	free(e->recs);
}

int hodei__store_jpush(struct jvec *j, const jent *e)
{
	if (hodei__array_grow(&j->v, &j->cap, j->len, sizeof(*j->v), 16))
		return HODEI_ENOMEM;
	j->v[j->len++] = *e;
	return 0;
}

void hodei__store_jtruncate(struct jvec *j, size_t len)
{
	while (j->len > len)
		jent_free(&j->v[--j->len]);
}

/* A copy of a transition for the journal, its strings owned. */
int hodei__store_journal(hodei_store *st, struct jvec *to, int kind, int64_t seq,
                              const hodei__jobupd *u, bool must)
{
	jent e = { 0 };

	e.kind = kind;
	e.depth = st->depth;
	e.must = must;
	e.seq = seq;
	e.u = *u;
	e.u.reason = hodei__strdup(u->reason);
	e.u.worker_id = hodei__strdup(u->worker_id);
	e.u.provider = hodei__strdup(u->provider);
	if ((u->reason && !e.u.reason) || (u->worker_id && !e.u.worker_id) ||
	    (u->provider && !e.u.provider) || hodei__store_jpush(to, &e)) {
		jent_free(&e);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	return 0;
}


static int apply(hodei_store *st, const jent *e)
{
	if (e->kind == J_LOGS)
		return hodei__store_write_logs(st, e->recs, e->n);
	if (e->kind == J_ROW)
		return hodei__store_write_row(st, e->seq, e->u.attempt, e->u.state, e->u.at, e->u.reason);
	return hodei__store_write_transition(st, e->seq, &e->u);
}

static size_t lines_of(const struct jvec *j, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < j->len; i++)
		for (size_t k = 0; j->v[i].kind == J_LOGS && k < j->v[i].n; k++)
			n += (size_t)j->v[i].recs[k].new_lines;
	return n;
}

/*
 * The end of a transaction that did not commit: what must still be stored
 * goes back to the front of redo (it is older than what redo got meanwhile),
 * the rest is dropped (its caller sees the error).  committed_ok: nothing
 * to keep.
 */
static void settle_journal(hodei_store *st, bool committed_ok, bool caller_failed)
{
	struct jvec keep = { 0 };

	for (size_t i = 0; i < st->journal.len; i++) {
		jent *e = &st->journal.v[i];

		if (!committed_ok && (e->must || (!caller_failed && e->depth >= 2)) &&
		    hodei__store_jpush(&keep, e) == 0) {
			keep.v[keep.len - 1].must = true;
			continue;
		}
		jent_free(e);
	}
	st->journal.len = 0;
	if (!keep.len)
		return;
	for (size_t i = 0; i < st->redo.len; i++)
		if (hodei__store_jpush(&keep, &st->redo.v[i])) /* out of memory: cannot be kept */
			jent_free(&st->redo.v[i]);
	free(st->redo.v);
	st->redo = keep;
	st->redo_lines = lines_of(&st->redo, 0);
}

static int end_tx(hodei_store *st, int rc)
{
	bool caller_failed = rc != 0;
	int64_t unindexed = st->unindexed, n = st->nunindexed;

	if (!rc && tx_dead(st))
		rc = hodei__store_write_refused(st);
	if (!rc && n >= INDEX_BATCH)
		rc = hodei__store_index_names(st);
	if (!rc)
		rc = hodei__store_exec(st, "COMMIT");
	if (rc && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc) { /* what this transaction indexed is undone: index it again later */
		st->unindexed = unindexed;
		st->nunindexed = n;
	}
	st->in_tx = false;
	if (!st->failed)
		st->fail_rc = 0;
	settle_journal(st, rc == 0, caller_failed);
	return rc;
}

/* At the first BEGIN: the writes that wait, first and in order. */
static int apply_redo(hodei_store *st)
{
	int rc = 0;

	if (!st->redo.len)
		return 0;
	free(st->journal.v); /* empty between transactions */
	st->journal = st->redo;
	memset(&st->redo, 0, sizeof(st->redo));
	st->redo_lines = 0;
	for (size_t i = 0; i < st->journal.len && !rc; i++)
		rc = apply(st, &st->journal.v[i]);
	return rc;
}

int hodei__store_begin(hodei_store *st)
{
	int level = st->depth++, rc = 0;
	char sql[32];

	if (level >= MAX_DEPTH)
		return hodei__err(HODEI_ERROR, "transactions nested too deep");
	st->mark[level] = st->journal.len;
	if (st->failed || tx_dead(st)) {
		rc = hodei__store_write_refused(st);
	} else if (!st->in_tx && !(rc = hodei__store_exec(st, "BEGIN IMMEDIATE"))) {
		st->in_tx = true;
		if ((rc = apply_redo(st))) { /* all of it goes back to redo */
			note_failure(st, rc);
			end_tx(st, rc);
		}
		st->mark[level] = st->journal.len;
	}
	if (!rc && level > 0) {
		snprintf(sql, sizeof(sql), "SAVEPOINT s%d", level);
		if (!(rc = hodei__store_exec(st, sql)))
			st->savepoints |= 1ull << level;
	}
	if (rc) {
		note_failure(st, rc);
		st->failed |= 1ull << level;
		rc = hodei__err(st->fail_rc, "%s", st->fail_msg);
	}
	return rc;
}

void hodei__store_begin_lazy(hodei_store *st)
{
	if (st->depth < MAX_DEPTH)
		st->mark[st->depth] = st->journal.len;
	st->depth++;
}

int hodei__store_end(hodei_store *st, int rc)
{
	int level = --st->depth;
	uint64_t bit = 1ull << level;
	char sql[48];

	if (level >= MAX_DEPTH)
		return rc ? rc : HODEI_ERROR;
	if (st->failed & bit) {
		st->failed &= ~bit;
		rc = rc ? rc : hodei__err(st->fail_rc, "%s", st->fail_msg);
	} else if (st->savepoints & bit) {
		st->savepoints &= ~bit;
		if (!rc && tx_dead(st))
			rc = hodei__store_write_refused(st);
		if (rc) {
			note_failure(st, rc);
			snprintf(sql, sizeof(sql), "ROLLBACK TO s%d; RELEASE s%d", level, level);
			if (!tx_dead(st))
				sqlite3_exec(st->db, sql, NULL, NULL, NULL);
			hodei__store_jtruncate(&st->journal, st->mark[level]);
		} else {
			snprintf(sql, sizeof(sql), "RELEASE s%d", level);
			rc = hodei__store_exec(st, sql);
		}
	}
	if (level == 0 && st->in_tx)
		rc = end_tx(st, rc);
	else if (level == 0)
		st->fail_rc = 0;
	return rc;
}

bool hodei__store_in_tx(hodei_store *st)
{
	return st->in_tx;
}

/*
 * A transition whose caller has moved on: written now, in a level of its
 * own, unless earlier writes wait (then after them, to keep their order);
 * when that fails, kept for the retry.  Returns 0 when it is written or
 * kept; HODEI_ENOMEM only when it could not even be kept.
 */
int hodei__store_put(hodei_store *st, int64_t seq, const hodei__jobupd *u)
{
	int rc;

	if (!st->redo.len) {
		bool wrote = false;

		if (!(rc = hodei__store_begin(st)) && !(rc = hodei__store_write_transition(st, seq, u)))
			wrote = !(rc = hodei__store_journal(st, &st->journal, J_TRANS, seq, u, true));
		hodei__store_end(st, rc); /* a failed commit moves it to redo */
		if (wrote)
			return 0;
	}
	return hodei__store_journal(st, &st->redo, J_TRANS, seq, u, true);
}

/* Lines that could not be written: kept (owned from now on) for the retry. */
int hodei__store_logs_keep(hodei_store *st, hodei__logw *recs, size_t n)
{
	jent e = { 0 };
	size_t lines = 0;

	e.kind = J_LOGS;
	e.must = true;
	e.recs = recs;
	e.n = n;
	if (hodei__store_jpush(&st->redo, &e))
		return HODEI_ENOMEM;
	for (size_t i = 0; i < n; i++)
		lines += (size_t)recs[i].new_lines;
	st->redo_lines += lines;
	return 0;
}

/* Make what waits in redo, if nothing else has since. */
int hodei__store_retry(hodei_store *st)
{
	int rc;

	if (!st->redo.len || st->depth)
		return 0;
	rc = hodei__store_begin(st);

	return hodei__store_end(st, rc);
}

/* Closing: the last chance for what waits (the caller reports what is left). */
int hodei__store_close_retry(hodei_store *st)
{
	st->depth = 0;
	return hodei__store_retry(st);
}

bool hodei__store_pending(hodei_store *st, int64_t seq)
{
	for (size_t i = 0; i < st->redo.len; i++)
		if (st->redo.v[i].kind != J_LOGS && st->redo.v[i].seq == seq)
			return true;
	return false;
}

size_t hodei__store_backlog(hodei_store *st, size_t *lines)
{
	if (lines)
		*lines = st->redo_lines;
	return st->redo.len;
}
