/*
 * Following a job's log over SubscribeLogs, and surviving a server restart:
 * when the connection is lost, reconnect (with backoff, for a bounded time)
 * and resume after the last sequence number printed, so no line is printed
 * twice or skipped.
 */
#include <poll.h>
#include <time.h>

#include "cli.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One stream, from f->last_seq to its end.  Returns a HODEI_E* code. */
static int follow_once(cli_ctx *cli, cli_follow *f)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_stream *stream = NULL;
	const hodei_log_line *line;
	int rc;

	q.job_id = f->job_id;
	q.after_seq = f->last_seq;
	q.min_level = f->min_level;
	q.contains = f->contains;
	rc = hodei_client_log_follow(&stream, cli->client, &q, 1);
	while (rc == 0) {
		rc = hodei_log_stream_next(stream, &line, -1);
		if (rc != 0 || !line)
			break;
		if (line->seq <= f->last_seq)
			continue;
		f->last_seq = line->seq;
		if (f->print)
			cli_print_log_line(cli, line, stdout);
	}
	hodei_log_stream_free(stream);
	return rc;
}

/* Open the client again, retrying until `deadline`.  0 or a HODEI_E* code. */
static int reconnect(cli_ctx *cli, int64_t deadline)
{
	int64_t delay = 100;
	int rc;

	hodei_client_close(cli->client);
	cli->client = NULL;
	for (;;) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return HODEI_EUNAVAIL;
		rc = cli_open_client(cli, left < 5000 ? left : 5000);
		if (rc != HODEI_EUNAVAIL)
			return rc;
		/* Back off between attempts: a refused connection returns at once. */
		poll(NULL, 0, (int)(delay < left ? delay : left));
		if (delay < 2000)
			delay *= 2;
	}
}

int cli_job_done(const hodei_job *job)
{
	if (!(HODEI_STATES_FINAL & HODEI_STATE_BIT(job->state)))
		return 0;
	/* FAILED or TIMED_OUT with retries left: queued again after a backoff. */
	if ((job->state == HODEI_JOB_FAILED || job->state == HODEI_JOB_TIMED_OUT) &&
	    job->attempt <= job->max_retries)
		return 0;
	return 1;
}

/* The stream ended: done if the job is, else (a retry, a server that ended
 * the stream early) follow again.  1 = done, 0 = again, or an exit code. */
static int check_done(cli_ctx *cli, cli_follow *f, hodei_job **final, int64_t *pause)
{
	hodei_job *job = NULL;
	int rc = hodei_client_job_get(&job, cli->client, f->job_id);

	if (rc == HODEI_EUNAVAIL)
		return 0; /* the next follow reconnects */
	if (rc != 0)
		return cli_fail(rc, f->job_id);
	if (cli_job_done(job)) {
		if (final)
			*final = job;
		else
			hodei_job_free(job);
		return -1;
	}
	hodei_job_free(job);
	/* Not over yet (a retry waits for its backoff): do not hammer the server. */
	poll(NULL, 0, (int)*pause);
	if (*pause < 2000)
		*pause *= 2;
	return 0;
}

int cli_follow_logs(cli_ctx *cli, cli_follow *f, hodei_job **final)
{
	int64_t pause = 50;
	int rc;

	if (final)
		*final = NULL;
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	for (;;) {
		rc = follow_once(cli, f);
		if (rc == 0) {
			rc = check_done(cli, f, final, &pause);
			if (rc != 0)
				return rc < 0 ? 0 : rc;
			continue;
		}
		if (rc != HODEI_EUNAVAIL)
			return cli_fail(rc, f->job_id);
		cli_error(0, "lost the log stream of job %s (%s); reconnecting for up to %lld s",
		          f->job_id, hodei_error_last(), (long long)(f->reconnect_ms / 1000));
		rc = reconnect(cli, now_ms() + f->reconnect_ms);
		if (rc != 0)
			return cli_error(cli_exit_code(rc), "gave up following job %s: %s",
			                 f->job_id, hodei_error_last());
		cli_error(0, "reconnected to %s; resuming after line %lld",
		          hodei_client_address(cli->client), (long long)f->last_seq);
	}
}
