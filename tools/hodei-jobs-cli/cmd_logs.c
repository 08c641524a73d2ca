/*
 * hodei-jobs-cli logs JOB-ID [--follow]: the stored lines of a job, or with
 * --follow its whole log live until the job ends.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum { OPT_LEVEL = 256, OPT_GREP, OPT_RECONNECT, OPT_RAW, OPT_TAIL, OPT_SINCE };

#define TAIL_MAX 1000000

static const struct option options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "grep", required_argument, NULL, OPT_GREP },
	{ "reconnect", required_argument, NULL, OPT_RECONNECT },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "tail", required_argument, NULL, OPT_TAIL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ 0, 0, 0, 0 },
};

typedef struct logs_opts {
	cli_follow follow;
	int live;
	int64_t tail;     /* print only the last N lines; -1 = all */
	int64_t since_us; /* only lines captured at or after this time; 0 = all */
} logs_opts;

/* "10m" (that long ago) or "2026-12-07T10:00:00Z" (UTC) -> microseconds. */
static int parse_since(const char *text, int64_t *us)
{
	struct tm tm;
	int64_t ms;
	const char *end;

	if (cli_parse_duration_ms(text, &ms) == 0 && ms > 0) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		*us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - ms * 1000;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || (end[0] && strcmp(end, "Z") != 0))
		return -1;
	*us = (int64_t)timegm(&tm) * 1000000;
	return 0;
}

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
	case OPT_TAIL:
		if (cli_parse_int(arg, 0, TAIL_MAX, &o->tail) != 0)
			return cli_usage_error(cli, "--tail: expected a number of lines from 0 to %d, "
			                       "not '%s'", TAIL_MAX, arg);
		return 0;
	case OPT_SINCE:
		if (parse_since(arg, &o->since_us) != 0)
			return cli_usage_error(cli, "--since: expected a duration (10m, 2h) or a UTC "
			                       "time (2026-12-07T10:00:00Z), not '%s'", arg);
		return 0;
	default:
		return cli_usage_error(cli, "unknown option");
	}
}

/* The last lines kept for --tail: a ring of copies. */
typedef struct tail_ring {
	hodei_log_line *lines;
	char **texts;
	size_t size, next, count;
} tail_ring;

static int ring_push(tail_ring *r, const hodei_log_line *line)
{
	char *copy = malloc(line->len + 1);
	size_t at = r->next;

	if (!copy)
		return -1;
	memcpy(copy, line->text, line->len);
	copy[line->len] = '\0';
	free(r->texts[at]);
	r->texts[at] = copy;
	r->lines[at] = *line;
	r->lines[at].text = copy;
	r->next = (at + 1) % r->size;
	if (r->count < r->size)
		r->count++;
	return 0;
}

/* Stored lines, page by page: a page ends at a line count or at what fits
 * in one message, so read on while the server says there is more. */
static int print_stored(cli_ctx *cli, const logs_opts *o, int64_t *matched)
{
	const cli_follow *f = &o->follow;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	tail_ring ring = { NULL, NULL, (size_t)(o->tail > 0 ? o->tail : 1), 0, 0 };
	int more, rc = 0;
	size_t i;

	if (o->tail > 0 && (!(ring.lines = calloc(ring.size, sizeof(*ring.lines))) ||
	                    !(ring.texts = calloc(ring.size, sizeof(*ring.texts))))) {
		free(ring.lines);
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	}
	q.job_id = f->job_id;
	q.min_level = f->min_level;
	q.contains = f->contains;
	do {
		rc = hodei_client_log_read(&page, cli->client, &q);
		if (rc != 0) {
			rc = cli_fail(rc, f->job_id);
			break;
		}
		for (i = 0; i < page->count && rc == 0; i++) {
			if (page->lines[i].ts_us < o->since_us)
				continue;
			++*matched;
			if (o->tail < 0)
				cli_print_log_line(cli, &page->lines[i], stdout);
			else if (o->tail > 0 && ring_push(&ring, &page->lines[i]) != 0)
				rc = cli_error(CLI_EXIT_ERROR, "out of memory");
		}
		more = page->more && page->next_seq > q.after_seq;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
	} while (more && rc == 0);
	for (i = 0; rc == 0 && i < ring.count; i++)
		cli_print_log_line(cli, &ring.lines[(ring.next + ring.size - ring.count + i) %
		                                     ring.size], stdout);
	for (i = 0; ring.texts && i < ring.size; i++)
		free(ring.texts[i]);
	free(ring.texts);
	free(ring.lines);
	return rc;
}

/* Nothing printed without a filter: a job that logged lines whose log was
 * deleted by the retention sweep says so, and fails. */
static int check_expired(cli_ctx *cli, const char *id)
{
	hodei_job *job = NULL;
	int rc = hodei_client_job_get(&job, cli->client, id);

	if (rc != 0)
		return cli_fail(rc, id);
	rc = job->log_lines > 0
		     ? cli_error(CLI_EXIT_NOT_FOUND, "%s: its log (%lld lines) has expired and was "
		                 "deleted: logs are kept for the server's --log-retention-days",
		                 id, (long long)job->log_lines)
		     : 0;
	hodei_job_free(job);
	return rc;
}

int cmd_logs(cli_ctx *cli, int argc, char **argv)
{
	logs_opts o = { { NULL, 0, NULL, 30000, 1, 0 }, 0, -1, 0 };
	int64_t matched = 0;
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, options, on_option, &o, &first)) != 0)
		return rc;
	if ((rc = cli_expect_args(cli, argc, argv, first, 1, "JOB-ID")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	o.follow.job_id = argv[first];
	if (o.live && (o.tail >= 0 || o.since_us))
		return cli_usage_error(cli, "--tail and --since print stored lines: not with "
		                       "--follow");
	if (o.live)
		return cli_follow_logs(cli, &o.follow, NULL);
	rc = print_stored(cli, &o, &matched);
	if (rc == 0 && matched == 0 && !o.follow.min_level && !o.follow.contains && !o.since_us)
		rc = check_expired(cli, o.follow.job_id);
	return rc;
}
