/*
 * hodei-jobs-cli jobs list: jobs filtered and paginated by the server; pages
 * are fetched until --limit jobs were shown or there are no more.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

enum { OPT_STATUS = 256, OPT_SEARCH, OPT_LIMIT, OPT_OLDEST, OPT_WATCH, OPT_INTERVAL };

static const struct option options[] = {
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "search", required_argument, NULL, OPT_SEARCH },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "oldest", no_argument, NULL, OPT_OLDEST },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ 0, 0, 0, 0 },
};

#define PAGE_SIZE 100

typedef struct list_opts {
	hodei_job_filter filter;
	int64_t limit;       /* jobs to show; 0 = all */
	int64_t total;       /* the server's count of matches (first page), -1 unknown */
	int total_is_lower_bound; /* ... which it stopped counting at: "10,000+" */
	int watch;           /* --watch */
	int64_t interval_ms; /* --interval */
	/* with --watch: what each job looked like at the previous look */
	char **seen;
	size_t nseen;
	char **now;
	size_t nnow;
	int first_look;
} list_opts;

/* One state name, or a group the dashboard uses ("completed", "active"). */
static int parse_state(const char *name, unsigned int *mask)
{
	int state;

	if (strcasecmp(name, "all") == 0)
		*mask |= HODEI_STATES_ACTIVE | HODEI_STATES_FINAL;
	else if (strcasecmp(name, "active") == 0)
		*mask |= HODEI_STATES_ACTIVE;
	else if (strcasecmp(name, "finished") == 0)
		*mask |= HODEI_STATES_FINAL;
	else if (strcasecmp(name, "completed") == 0)
		*mask |= HODEI_STATE_BIT(HODEI_JOB_SUCCEEDED);
	else if (strcasecmp(name, "timed-out") == 0)
		*mask |= HODEI_STATE_BIT(HODEI_JOB_TIMED_OUT);
	else if (hodei_job_state_parse(name, &state) == 0)
		*mask |= HODEI_STATE_BIT(state);
	else
		return -1;
	return 0;
}

int cli_parse_states(const char *text, unsigned int *mask)
{
	char *copy = strdup(text), *save = NULL, *word;
	int rc = copy ? 0 : -1;

	*mask = 0;
	for (word = copy ? strtok_r(copy, ",", &save) : NULL; word && rc == 0;
	     word = strtok_r(NULL, ",", &save))
		rc = parse_state(word, mask);
	free(copy);
	return rc == 0 && *mask ? 0 : -1;
}

static int on_option(cli_ctx *cli, int id, const char *arg, void *state)
{
	list_opts *o = state;

	switch (id) {
	case OPT_STATUS:
		if (cli_parse_states(arg, &o->filter.state_mask) != 0)
			return cli_usage_error(cli, "--status: unknown state in '%s' (expected "
			                       "queued, running, succeeded, failed, ...)", arg);
		return 0;
	case OPT_SEARCH:
		o->filter.search = arg;
		return 0;
	case OPT_LIMIT:
		if (cli_parse_int(arg, 0, INT32_MAX, &o->limit) != 0)
			return cli_usage_error(cli, "--limit: expected a number, not '%s'", arg);
		return 0;
	case OPT_OLDEST:
		o->filter.order = HODEI_ORDER_OLDEST;
		return 0;
	case OPT_WATCH:
		o->watch = 1;
		return 0;
	case OPT_INTERVAL:
		if (cli_parse_duration_ms(arg, &o->interval_ms) != 0 || o->interval_ms < 100 ||
		    o->interval_ms > 3600000)
			return cli_usage_error(cli, "--interval: expected a duration from 100ms to 1h, "
			                       "not '%s'", arg);
		return 0;
	default:
		return cli_usage_error(cli, "unknown option");
	}
}

/* "id state exit": a job changed when this changed. */
static char *signature(const hodei_job *job)
{
	char *sig = NULL;

	if (asprintf(&sig, "%s %d %d %d %lld", job->id, job->state, job->attempt, job->exit_code,
	             (long long)job->finished_at) < 0)
		return NULL;
	return sig;
}

static int seen_before(const list_opts *o, const char *sig)
{
	size_t i;

	for (i = 0; i < o->nseen; i++)
		if (strcmp(o->seen[i], sig) == 0)
			return 1;
	return 0;
}

/* With --watch on a pipe: only jobs that are new or changed are shown. */
static int show_job(const cli_ctx *cli, list_opts *o, const hodei_job *job)
{
	char *sig;

	if (!o->watch || cli_is_terminal(stdout))
		return 1;
	if (!(sig = signature(job)) || cli_push_word(&o->now, &o->nnow, sig) != 0) {
		free(sig);
		return 1; /* out of memory: showing it again is harmless */
	}
	(void)cli;
	free(sig);
	return o->first_look || !seen_before(o, o->now[o->nnow - 1]);
}

/* Fetch pages and show each job; *shown counts them. */
static int fetch(cli_ctx *cli, list_opts *o, cli_table *table, int64_t *shown)
{
	char *cursor = NULL;
	int rc = 0;

	do {
		hodei_job_page *page = NULL;
		size_t i;

		o->filter.cursor = cursor;
		o->filter.limit = PAGE_SIZE;
		if (o->limit && o->limit - *shown < PAGE_SIZE)
			o->filter.limit = (size_t)(o->limit - *shown);
		rc = hodei_client_job_list(&page, cli->client, &o->filter);
		free(cursor);
		cursor = NULL;
		if (rc != 0)
			return cli_fail(rc, "jobs list");
		if (o->total < 0) {
			o->total = page->total;
			o->total_is_lower_bound = page->total_is_lower_bound;
		}
		for (i = 0; i < page->count; i++, (*shown)++) {
			if (!show_job(cli, o, page->jobs[i]))
				continue;
			if (cli->output == CLI_OUTPUT_JSON)
				cli_print_job_json(stdout, page->jobs[i]);
			else
				cli_table_add_job(table, page->jobs[i]);
		}
		if (page->next_cursor && (!o->limit || *shown < o->limit) && /* a page may be empty */
		    !(cursor = strdup(page->next_cursor))) {
			hodei_job_page_free(page);
			return cli_error(cli_exit_code(HODEI_ENOMEM), "jobs list: out of memory");
		}
		hodei_job_page_free(page);
	} while (cursor);
	return 0;
}

/* 12345 -> "12,345", and "12,345+" for a lower bound. */
static void format_total(char *buf, size_t len, int64_t n, int lower_bound)
{
	char digits[32];
	size_t nd, at = 0;

	nd = (size_t)snprintf(digits, sizeof(digits), "%lld", (long long)n);
	for (size_t i = 0; i < nd && at + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0 && digits[0] != '-')
			buf[at++] = ',';
		buf[at++] = digits[i];
	}
	if (lower_bound && at + 1 < len)
		buf[at++] = '+';
	buf[at] = '\0';
}

/* One look: the table (or JSON lines) of what is to be shown. */
static int look(cli_ctx *cli, list_opts *o)
{
	cli_table table;
	int64_t shown = 0;
	int rc, tty = o->watch && cli_is_terminal(stdout);

	cli_table_init_jobs(&table);
	o->total = -1;
	rc = fetch(cli, o, &table, &shown);
	if (rc == 0 && cli->output == CLI_OUTPUT_TABLE) {
		if (tty) {
			char now[40];
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			printf("\033[H\033[2J%s jobs list, every %.1fs (Ctrl-C stops)   %s\n\n",
			       CLI_PROG, (double)o->interval_ms / 1000,
			       cli_format_time((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, now,
			                       sizeof(now)));
		}
		if (table.nrows > 1)
			cli_table_print(&table, stdout);
		else if (!o->watch)
			fprintf(stderr, "no jobs\n");
		/* more match than were shown (--limit): how many, on stderr */
		if (!o->watch && shown && o->total >= 0 &&
		    (o->total_is_lower_bound || o->total > shown)) {
			char total[48];

			format_total(total, sizeof(total), o->total, o->total_is_lower_bound);
			fprintf(stderr, "%lld of %s jobs shown\n", (long long)shown, total);
		}
	}
	cli_table_free(&table);
	fflush(stdout);
	return rc;
}

int cmd_jobs_list(cli_ctx *cli, int argc, char **argv)
{
	list_opts o = { HODEI_JOB_FILTER_INIT, 50, -1, 0, 0, 2000, NULL, 0, NULL, 0, 1 };
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, options, on_option, &o, &first)) != 0)
		return rc;
	if ((rc = cli_expect_args(cli, argc, argv, first, 0, "")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	for (;;) {
		struct timespec pause;

		rc = look(cli, &o);
		if (rc != 0 || !o.watch)
			break;
		cli_free_words(o.seen, o.nseen);
		o.seen = o.now;
		o.nseen = o.nnow;
		o.now = NULL;
		o.nnow = 0;
		o.first_look = 0;
		pause.tv_sec = o.interval_ms / 1000;
		pause.tv_nsec = (long)(o.interval_ms % 1000) * 1000000;
		nanosleep(&pause, NULL);
	}
	cli_free_words(o.seen, o.nseen);
	cli_free_words(o.now, o.nnow);
	return rc;
}
