/*
 * hodei-jobs-cli jobs list: jobs filtered and paginated by the server; pages
 * are fetched until --limit jobs were shown or there are no more.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { OPT_STATUS = 256, OPT_SEARCH, OPT_LIMIT, OPT_OLDEST };

static const struct option options[] = {
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "search", required_argument, NULL, OPT_SEARCH },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "oldest", no_argument, NULL, OPT_OLDEST },
	{ 0, 0, 0, 0 },
};

#define PAGE_SIZE 100

typedef struct list_opts {
	hodei_job_filter filter;
	int64_t limit; /* jobs to show; 0 = all */
	int64_t total; /* the server's count of matches (first page), -1 unknown */
	int total_is_lower_bound; /* ... which it stopped counting at: "10,000+" */
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
	default:
		return cli_usage_error(cli, "unknown option");
	}
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
			if (cli->output == CLI_OUTPUT_JSON)
				cli_print_job_json(stdout, page->jobs[i]);
			else
				cli_table_add_job(table, page->jobs[i]);
		}
		if (page->next_cursor && (!o->limit || *shown < o->limit)) /* a page may be empty */
			cursor = strdup(page->next_cursor);
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

int cmd_jobs_list(cli_ctx *cli, int argc, char **argv)
{
	list_opts o = { HODEI_JOB_FILTER_INIT, 50, -1, 0 };
	cli_table table;
	int64_t shown = 0;
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, options, on_option, &o, &first)) != 0)
		return rc;
	if ((rc = cli_expect_args(cli, argc, argv, first, 0, "")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	cli_table_init_jobs(&table);
	rc = fetch(cli, &o, &table, &shown);
	if (rc == 0 && cli->output == CLI_OUTPUT_TABLE) {
		if (shown)
			cli_table_print(&table, stdout);
		else
			fprintf(stderr, "no jobs\n");
		/* more match than were shown (--limit): how many, on stderr */
		if (shown && o.total >= 0 && (o.total_is_lower_bound || o.total > shown)) {
			char total[48];

			format_total(total, sizeof(total), o.total, o.total_is_lower_bound);
			fprintf(stderr, "%lld of %s jobs shown\n", (long long)shown, total);
		}
	}
	cli_table_free(&table);
	return rc;
}
