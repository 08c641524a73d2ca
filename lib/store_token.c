/*
 * The store's side of API tokens (name, role, SHA-256 hash) and of job
 * secrets (the sealed values of a job about to run).  Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int prepare(hodei_store *st, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return hodei__err(HODEI_EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}

static int finish(hodei_store *st, sqlite3_stmt *s, int rc, const char *what)
{
	int code = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
	           : hodei__err(HODEI_EIO, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));

	sqlite3_finalize(s);
	return code;
}

int hodei__store_token_put(hodei_store *st, const char *name, int role, const uint8_t *hash,
                           int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = hodei__store_write_refused(st)) ||
	    (rc = prepare(st, "INSERT INTO api_tokens(name, role, hash, created_at)"
	                      " VALUES(?,?,?,?)", &s)))
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, role);
	sqlite3_bind_blob(s, 3, hash, HODEI_TOKEN_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_finalize(s);
		return hodei__err(HODEI_EEXISTS, "name: a token named '%s' already exists", name);
	}
	return finish(st, s, rc, "storing a token");
}

int hodei__store_token_delete(hodei_store *st, const char *name)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = hodei__store_write_refused(st)) ||
	    (rc = prepare(st, "DELETE FROM api_tokens WHERE name = ?", &s)))
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((rc = finish(st, s, sqlite3_step(s), "revoking a token")))
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return hodei__err(HODEI_ENOTFOUND, "name: no token named '%s'", name);
	return 0;
}

static hodei_token_info *token_row(sqlite3_stmt *s)
{
	hodei_token_info *t = calloc(1, sizeof(*t));
	const void *hash = sqlite3_column_blob(s, 2);

	if (!t)
		return NULL;
	t->version = HODEI_TOKEN_INFO_VERSION;
	if (!(t->name = strdup((const char *)sqlite3_column_text(s, 0)))) {
		free(t);
		return NULL;
	}
	t->role = sqlite3_column_int(s, 1);
	if (hash && sqlite3_column_bytes(s, 2) == HODEI_TOKEN_HASH_LEN)
		memcpy(t->hash, hash, HODEI_TOKEN_HASH_LEN); /* else all zero: matches nothing */
	t->created_at = sqlite3_column_int64(s, 3);
	return t;
}

int hodei__store_token_list(hodei_store *st, hodei_token_list **out)
{
	hodei_token_list *l = calloc(1, sizeof(*l));
	size_t cap = 0;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if (!l)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if ((rc = prepare(st, "SELECT name, role, hash, created_at FROM api_tokens ORDER BY name",
	                  &s))) {
		free(l);
		return rc;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hodei_token_info *t;

		if (hodei__array_grow(&l->items, &cap, l->count, sizeof(*l->items), 8) ||
		    !(t = token_row(s))) {
			sqlite3_finalize(s);
			hodei_token_list_free(l);
			return hodei__err(HODEI_ENOMEM, "out of memory");
		}
		l->items[l->count++] = t;
	}
	if ((rc = finish(st, s, rc, "listing tokens"))) {
		hodei_token_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void hodei_token_list_free(hodei_token_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i]->name);
		free(l->items[i]);
	}
	free(l->items);
	free(l);
}

int hodei__store_job_secrets(hodei_store *st, int64_t seq, const char *id, char ***entries,
                             size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*entries = NULL;
	*n = 0;
	if ((rc = prepare(st, "SELECT secret_env FROM jobs WHERE seq = ?", &s)))
		return rc;
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int len = sqlite3_column_bytes(s, 0);

		rc = len > 0 ? hodei__secrets_open(st, id, sqlite3_column_blob(s, 0), (size_t)len,
		                                   entries, n) : 0;
		sqlite3_finalize(s);
		return rc;
	}
	return finish(st, s, rc, "loading secrets");
}
