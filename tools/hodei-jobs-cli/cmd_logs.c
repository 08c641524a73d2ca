/*
 * hodei-jobs-cli logs JOB-ID [--follow]: the stored lines of a job, or with
 * --follow its whole log live until the job ends.
 */
#include "cli.h"

enum { OPT_LEVEL = 256, OPT_GREP, OPT_RECONNECT, OPT_RAW };

static const struct option options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "grep", required_argument, NULL, OPT_GREP },
	{ "reconnect", required_argument, NULL, OPT_RECONNECT },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ 0, 0, 0, 0 },
};

typedef struct logs_opts {
	cli_follow follow;
	int live;
} logs_opts;

static int on_option(cli_ctx *cli, int id, const char *arg, void *state)
{
	logs_opts *o = state;

	switch (id) {
	case 'f':
		o->live = 1;
		return 0;
	case OPT_LEVEL:
		if (hodei_log_level_parse(arg, &o->follow.min_level) != 0)
			return cli_usage_error(cli, "--level: expected debug, info, warn or error, "
			                       "not '%s'", arg);
		return 0;
	case OPT_GREP:
		o->follow.contains = arg;
		return 0;
	case OPT_RECONNECT:
		if (cli_parse_duration_ms(arg, &o->follow.reconnect_ms) != 0)
			return cli_usage_error(cli, "--reconnect: expected seconds, not '%s'", arg);
		return 0;
	case OPT_RAW:
		cli->escape = 0; /* the job's bytes, even on a terminal */
		return 0;
	default:
		return cli_usage_error(cli, "unknown option");
	}
}

/* Stored lines, page by page: a page ends at a line count or at what fits
 * in one message, so read on while the server says there is more. */
static int print_stored(cli_ctx *cli, const cli_follow *f)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	int more, rc;

	q.job_id = f->job_id;
	q.min_level = f->min_level;
	q.contains = f->contains;
	do {
		size_t i;

		rc = hodei_client_log_read(&page, cli->client, &q);
		if (rc != 0)
			return cli_fail(rc, f->job_id);
		for (i = 0; i < page->count; i++)
			cli_print_log_line(cli, &page->lines[i], stdout);
		more = page->more && page->next_seq > q.after_seq;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
	} while (more);
	return 0;
}

int cmd_logs(cli_ctx *cli, int argc, char **argv)
{
	logs_opts o = { { NULL, 0, NULL, 30000, 1, 0 }, 0 };
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, options, on_option, &o, &first)) != 0)
		return rc;
	if ((rc = cli_expect_args(cli, argc, argv, first, 1, "JOB-ID")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	o.follow.job_id = argv[first];
	return o.live ? cli_follow_logs(cli, &o.follow, NULL) : print_stored(cli, &o.follow);
}
