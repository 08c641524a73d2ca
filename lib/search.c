/*
 * Listing and counting jobs: the query plans behind hodei_job_list() and
 * hodei_job_count(), chosen so that a page costs about the same with a
 * million jobs stored as with a hundred.
 *
 * What a search matches (include/hodei/job.h): jobs whose id starts with the
 * text, byte for byte, or whose name contains it with ASCII letters compared
 * without case (SQLite's lower()).  Two indexes find the candidates, and the
 * exact test above is always applied to them, so an index can only make a
 * query faster, never change its answer:
 *   - ids starting with the text: a range of the UNIQUE index on jobs(id);
 *   - names containing it: jobs_name, an FTS5 trigram index (content-less,
 *     detail=none: every trigram of the text must be in the name).  It
 *     needs 3 characters; shorter texts fall back to a scan in cursor order
 *     that stops after SCAN_BUDGET jobs and hands back a cursor to go on.
 * Pages are keyset pages on seq; every plan yields seqs in page order, and
 * the rows are loaded by seq at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Jobs a search may look at for one page when no index can help. */
#define SCAN_BUDGET 20000
/* ... and for a capped count (hodei_job_count_capped): the newest ones. */
#define COUNT_SCAN_BUDGET 10000
/* Below this many jobs in the filtered states, walk those states. */
#define STATE_WALK_MAX 20000
/* At most this many id-prefix matches are merged with the name index;
 * more, and the matches are dense enough for a scan in cursor order. */
#define PREFIX_MERGE_MAX 10000

typedef struct search {
	const char *text; /* NULL: no search */
	int by_prefix;    /* the text could start an id */
	char id_hi[HODEI_NAME_MAX + 2]; /* ids starting with text are in [text, id_hi) */
	char *match;      /* FTS5 query on jobs_name, NULL if the text is too short */
} search;

typedef struct plan {
	const hodei_job_filter *f;
	search s;
	int64_t after; /* cursor seq, 0 = none */
	int newest;
	size_t want; /* limit + 1 */
	int64_t *seqs;
	size_t nseqs;
	int64_t scanned_to; /* the budget ran out here (0 = it did not) */
} plan;

/* Binds every statement of this file shares. */
enum { B_TEXT = 1, B_ID_HI = 2, B_MATCH = 3, B_AFTER = 4 };

static int id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

/* Length of the UTF-8 character at s, 0 if s does not start a valid one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
	         : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* '"abc" AND "bcd" AND ...': every trigram of text, quoted for FTS5. */
static char *trigram_match(const char *text)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t starts[HODEI_NAME_MAX + 1], n = 0, i = 0;
	hodei__buf q = { 0 };

	while (t[i]) {
		size_t len = utf8_len(t + i);

		if (!len)
			return NULL;
		starts[n++] = i;
		i += len;
	}
	starts[n] = i;
	if (n < 3)
		return NULL;
	for (size_t k = 0; k + 3 <= n; k++) {
		hodei__buf_addf(&q, "%s\"", k ? " AND " : "");
		for (size_t b = starts[k]; b < starts[k + 3]; b++)
			hodei__buf_add(&q, t[b] == '"' ? "\"\"" : (const char *)t + b, t[b] == '"' ? 2 : 1);
		hodei__buf_add(&q, "\"", 1);
	}
	if (hodei__buf_add(&q, "", 1)) {
		hodei__buf_free(&q);
		return NULL; /* out of memory: the plans without the index answer */
	}
	return q.data;
}

static void search_init(search *s, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	memset(s, 0, sizeof(*s));
	if (!len)
		return;
	s->text = text;
	s->by_prefix = len <= HODEI_NAME_MAX;
	for (size_t i = 0; i < len && s->by_prefix; i++)
		s->by_prefix = id_char((unsigned char)text[i]);
	if (s->by_prefix) { /* id characters are ASCII below 'z': the last one + 1 */
		memcpy(s->id_hi, text, len + 1);
		s->id_hi[len - 1]++;
	}
	s->match = trigram_match(text);
}

/* The exact test of a search, on the row of jobs in scope. */
static void add_text_test(hodei__buf *sql, const search *s)
{
	if (s->by_prefix)
		hodei__buf_addf(sql, "(id >= ?%d AND id < ?%d OR ", B_TEXT, B_ID_HI);
	hodei__buf_addf(sql, "instr(lower(name), lower(?%d)) > 0%s", B_TEXT, s->by_prefix ? ")" : "");
}

static void add_state_test(hodei__buf *sql, unsigned int mask)
{
	const char *sep = "";

	if (!mask)
		return;
	hodei__buf_addf(sql, " AND state IN (");
	for (int st = 1; st <= 7; st++)
		if (mask & HODEI_STATE_BIT(st)) {
			hodei__buf_addf(sql, "%s%d", sep, st);
			sep = ",";
		}
	hodei__buf_addf(sql, ")");
}

static void add_cursor_test(hodei__buf *sql, const plan *p, const char *col)
{
	if (p->after)
		hodei__buf_addf(sql, " AND %s %s ?%d", col, p->newest ? "<" : ">", B_AFTER);
}

static int prepare(hodei_store *st, hodei__buf *sql, const plan *p, sqlite3_stmt **out)
{
	sqlite3 *db = hodei__store_db(st);
	int rc;

	if (sql->failed || !sql->data) {
		hodei__buf_free(sql);
		*out = NULL;
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	rc = sqlite3_prepare_v2(db, sql->data, -1, out, NULL);
	hodei__buf_free(sql);
	if (rc != SQLITE_OK)
		return hodei__store_error(st, "listing jobs");
	/* unused parameters may be bound: binding an absent index is harmless */
	if (p->s.text) {
		sqlite3_bind_text(*out, B_TEXT, p->s.text, -1, SQLITE_STATIC);
		sqlite3_bind_text(*out, B_ID_HI, p->s.id_hi, -1, SQLITE_STATIC);
		if (p->s.match)
			sqlite3_bind_text(*out, B_MATCH, p->s.match, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(*out, B_AFTER, p->after);
	return 0;
}

static int push_seq(plan *p, int64_t seq)
{
	if (p->nseqs && p->seqs[p->nseqs - 1] == seq)
		return 0;
	p->seqs[p->nseqs++] = seq;
	return p->nseqs == p->want;
}

/* Every seq the statement yields (already in page order), up to p->want. */
static int collect(hodei_store *st, sqlite3_stmt *s, plan *p)
{
	int rc;

	while (p->nseqs < p->want && (rc = sqlite3_step(s)) == SQLITE_ROW)
		push_seq(p, sqlite3_column_int64(s, 0));
	rc = p->nseqs == p->want || rc == SQLITE_DONE ? 0 : hodei__store_error(st, "listing jobs");
	sqlite3_finalize(s);
	return rc;
}

/* Walk the filtered states (each through jobs(state, seq)), or all jobs. */
static int plan_walk(hodei_store *st, plan *p)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s;
	const char *sep = "";
	int rc;

	hodei__buf_addf(&sql, "SELECT seq FROM (");
	for (int state = 0; state <= 7; state++) {
		if (state ? !(p->f->state_mask & HODEI_STATE_BIT(state)) : p->f->state_mask != 0)
			continue;
		hodei__buf_addf(&sql, "%sSELECT * FROM (SELECT seq FROM jobs WHERE 1", sep);
		if (state)
			hodei__buf_addf(&sql, " AND state = %d", state);
		add_cursor_test(&sql, p, "seq");
		if (p->s.text) {
			hodei__buf_addf(&sql, " AND ");
			add_text_test(&sql, &p->s);
		}
		hodei__buf_addf(&sql, " ORDER BY seq %s LIMIT %zu)", p->newest ? "DESC" : "ASC", p->want);
		sep = " UNION ALL ";
	}
	hodei__buf_addf(&sql, ") ORDER BY seq %s LIMIT %zu", p->newest ? "DESC" : "ASC", p->want);
	if ((rc = prepare(st, &sql, p, &s)))
		return rc;
	return collect(st, s, p);
}

/* Every job in cursor order, tested one by one, for at most SCAN_BUDGET. */
static int plan_scan(hodei_store *st, plan *p)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s;
	int64_t seq = 0, n = 0;
	int rc;

	hodei__buf_addf(&sql, "SELECT seq, ");
	add_text_test(&sql, &p->s);
	add_state_test(&sql, p->f->state_mask);
	hodei__buf_addf(&sql, " FROM jobs WHERE 1");
	add_cursor_test(&sql, p, "seq");
	hodei__buf_addf(&sql, " ORDER BY seq %s", p->newest ? "DESC" : "ASC");
	if ((rc = prepare(st, &sql, p, &s)))
		return rc;
	while (p->nseqs < p->want && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_int(s, 1))
			push_seq(p, seq);
		if (++n == SCAN_BUDGET && p->nseqs < p->want) {
			rc = sqlite3_step(s) == SQLITE_ROW ? SQLITE_ROW : SQLITE_DONE;
			if (rc == SQLITE_ROW)
				p->scanned_to = seq;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hodei__store_error(st, "listing jobs");
}

static int64_t count_of(hodei_store *st, hodei__buf *sql, const plan *p, int *rc)
{
	sqlite3_stmt *s;
	int64_t n = 0;

	if ((*rc = prepare(st, sql, p, &s)))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		*rc = hodei__store_error(st, "counting jobs");
	sqlite3_finalize(s);
	return n;
}

/* Ids starting with the text (the UNIQUE index on id), at most `cap`. */
static int64_t prefix_count(hodei_store *st, const plan *p, size_t cap, int *rc)
{
	hodei__buf sql = { 0 };

	hodei__buf_addf(&sql, "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE id >= ?%d AND id < ?%d",
	                B_TEXT, B_ID_HI);
	add_state_test(&sql, p->f->state_mask);
	if (cap)
		hodei__buf_addf(&sql, " LIMIT %zu", cap);
	hodei__buf_addf(&sql, ")");
	return count_of(st, &sql, p, rc);
}

static int cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The few id-prefix matches, merged in page order with the name index's. */
static int plan_merge(hodei_store *st, plan *p)
{
	hodei__buf sql = { 0 };
	sqlite3_stmt *s = NULL, *n = NULL;
	int64_t *ids = NULL, next = 0;
	size_t nids = 0, i = 0;
	int rc, more;

	if (p->s.by_prefix) {
		hodei__buf_addf(&sql, "SELECT seq FROM jobs WHERE id >= ?%d AND id < ?%d", B_TEXT, B_ID_HI);
		add_state_test(&sql, p->f->state_mask);
		add_cursor_test(&sql, p, "seq");
		if ((rc = prepare(st, &sql, p, &s)))
			return rc;
		if (!(ids = malloc((PREFIX_MERGE_MAX + 1) * sizeof(*ids)))) {
			sqlite3_finalize(s);
			return hodei__err(HODEI_ENOMEM, "out of memory");
		}
		while (nids <= PREFIX_MERGE_MAX && (rc = sqlite3_step(s)) == SQLITE_ROW)
			ids[nids++] = sqlite3_column_int64(s, 0);
		rc = nids > PREFIX_MERGE_MAX || rc == SQLITE_DONE ? 0
		     : hodei__store_error(st, "listing jobs");
		sqlite3_finalize(s);
		if (rc) {
			free(ids);
			return rc;
		}
		qsort(ids, nids, sizeof(*ids), cmp_desc);
		if (!p->newest)
			for (size_t a = 0, b = nids ? nids - 1 : 0; a < b; a++, b--) {
				int64_t t = ids[a];

				ids[a] = ids[b];
				ids[b] = t;
			}
	}
	hodei__buf_addf(&sql, "SELECT f.rowid FROM jobs_name f CROSS JOIN jobs j ON j.seq = f.rowid"
	                      " WHERE jobs_name MATCH ?%d AND instr(lower(j.name), lower(?%d)) > 0",
	                B_MATCH, B_TEXT);
	add_state_test(&sql, p->f->state_mask);
	add_cursor_test(&sql, p, "f.rowid");
	hodei__buf_addf(&sql, " ORDER BY f.rowid %s", p->newest ? "DESC" : "ASC");
	if ((rc = prepare(st, &sql, p, &n))) {
		free(ids);
		return rc;
	}
	more = (rc = sqlite3_step(n)) == SQLITE_ROW;
	if (more)
		next = sqlite3_column_int64(n, 0);
	while (p->nseqs < p->want && (more || i < nids)) {
		int take_id = i < nids && (!more || (p->newest ? ids[i] >= next : ids[i] <= next));

		if (take_id) {
			push_seq(p, ids[i++]);
			continue;
		}
		push_seq(p, next);
		more = (rc = sqlite3_step(n)) == SQLITE_ROW;
		if (more)
			next = sqlite3_column_int64(n, 0);
	}
	sqlite3_finalize(n);
	free(ids);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hodei__store_error(st, "listing jobs");
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

static int choose_and_run(hodei_store *st, plan *p, int64_t state_rows)
{
	int rc = 0;

	if (!p->s.text || (p->f->state_mask && state_rows <= STATE_WALK_MAX))
		return plan_walk(st, p);
	if (p->s.match &&
	    (!p->s.by_prefix || prefix_count(st, p, PREFIX_MERGE_MAX + 1, &rc) <= PREFIX_MERGE_MAX))
		return rc ? rc : plan_merge(st, p);
	return rc ? rc : plan_scan(st, p);
}

static int load_page(hodei_store *st, plan *p, size_t limit, hodei_job_page **out)
{
	hodei_job_page *page = calloc(1, sizeof(*page));
	int rc = 0;

	if (!page || !(page->jobs = calloc(limit + 1, sizeof(*page->jobs)))) {
		free(page);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	page->total = -1;
	for (size_t i = 0; i < p->nseqs && i < limit && !rc; i++)
		if (!(rc = hodei__store_load_job(st, p->seqs[i], NULL, &page->jobs[i])))
			page->count++;
	if (rc) {
		hodei_job_page_free(page);
		return rc;
	}
	if (p->nseqs > limit)
		page->next_cursor = hodei__sprintf("%lld", (long long)p->seqs[limit - 1]);
	else if (p->scanned_to)
		page->next_cursor = hodei__sprintf("%lld", (long long)p->scanned_to);
	*out = page;
	return 0;
}

int hodei__store_list(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                      hodei_job_page **out)
{
	size_t limit = f->limit ? f->limit : 50;
	plan p;
	int rc;

	*out = NULL;
	if (limit > 1000)
		return hodei__err(HODEI_EINVAL, "limit: at most 1000 jobs per page");
	memset(&p, 0, sizeof(p));
	if ((rc = parse_cursor(f->cursor, &p.after)))
		return rc;
	p.f = f;
	p.newest = f->order != HODEI_ORDER_OLDEST;
	p.want = limit + 1;
	search_init(&p.s, f->search);
	p.seqs = calloc(p.want, sizeof(*p.seqs));
	if (!p.seqs)
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	else if (!p.s.text || !(rc = hodei__store_search_ready(st)))
		rc = choose_and_run(st, &p, state_rows);
	if (!rc)
		rc = load_page(st, &p, limit, out);
	free(p.seqs);
	free(p.s.match);
	return rc;
}

/*
 * Matches of a search: the id-prefix ones (an index range) plus the name
 * ones that are not id-prefix ones (the trigram index, or a scan when the
 * text is too short for it).  Bounded work: each part stops at `cap`
 * matches, and a scan with no index looks at the newest COUNT_SCAN_BUDGET jobs
 * only; then *exact is false and *count a lower bound.  cap 0: exact.
 */
int hodei__store_count(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                       int64_t all_rows, int64_t cap, int64_t *count, bool *exact)
{
	hodei__buf sql = { 0 };
	plan p;
	int64_t part;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.f = f;
	search_init(&p.s, f->search);
	*count = 0;
	*exact = true;
	if (!p.s.text || (f->state_mask && state_rows <= STATE_WALK_MAX)) {
		hodei__buf_addf(&sql, "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE 1");
		add_state_test(&sql, f->state_mask);
		if (p.s.text) {
			hodei__buf_addf(&sql, " AND ");
			add_text_test(&sql, &p.s);
		}
		if (cap)
			hodei__buf_addf(&sql, " LIMIT %lld", (long long)cap);
		hodei__buf_addf(&sql, ")");
		*count = count_of(st, &sql, &p, &rc);
		*exact = !cap || *count < cap;
		free(p.s.match);
		return rc;
	}
	if ((rc = hodei__store_search_ready(st))) {
		free(p.s.match);
		return rc;
	}
	if (p.s.by_prefix)
		*count = prefix_count(st, &p, (size_t)cap, &rc);
	if (!rc && (!cap || *count < cap)) {
		hodei__buf_addf(&sql, "SELECT count(*) FROM (SELECT 1 FROM ");
		if (p.s.match)
			hodei__buf_addf(&sql, "jobs_name f CROSS JOIN jobs j ON j.seq = f.rowid WHERE"
			                      " jobs_name MATCH ?%d AND", B_MATCH);
		else if (cap) /* no index, bounded: the newest SCAN_BUDGET jobs */
			hodei__buf_addf(&sql, "(SELECT id, name, state FROM jobs ORDER BY seq DESC"
			                      " LIMIT %d) WHERE", COUNT_SCAN_BUDGET);
		else
			hodei__buf_addf(&sql, "jobs WHERE");
		hodei__buf_addf(&sql, " instr(lower(name), lower(?%d)) > 0", B_TEXT);
		if (p.s.by_prefix)
			hodei__buf_addf(&sql, " AND NOT (id >= ?%d AND id < ?%d)", B_TEXT, B_ID_HI);
		add_state_test(&sql, f->state_mask);
		if (cap)
			hodei__buf_addf(&sql, " LIMIT %lld", (long long)(cap - *count));
		hodei__buf_addf(&sql, ")");
		part = count_of(st, &sql, &p, &rc);
		*count += part;
		if (cap && !p.s.match && !rc && all_rows > COUNT_SCAN_BUDGET)
			*exact = false; /* older jobs were not looked at */
	}
	if (cap && *count >= cap)
		*exact = false;
	free(p.s.match);
	return rc;
}
