/*
 * The job state machine (pure): which transitions are allowed, and what a
 * finished run or a lost worker means for a job.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const state_names[] = {
	NULL, "QUEUED", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT",
};
static const char *const priority_names[] = { "NORMAL", "LOW", "NORMAL", "HIGH", "CRITICAL" };

const char *hodei_job_state_name(int state)
{
	return state >= 1 && state <= 7 ? state_names[state] : "UNKNOWN";
}

const char *hodei_priority_name(int priority)
{
	return priority >= 0 && priority <= 4 ? priority_names[priority] : "UNKNOWN";
}

int hodei_job_state_parse(const char *name, int *state)
{
	if (!state)
		return hodei__arg_null("state");
	for (int s = 1; name && s <= 7; s++)
		if (strcasecmp(name, state_names[s]) == 0) {
			*state = s;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "state: unknown state '%s'", name ? name : "(null)");
}

int hodei_priority_parse(const char *name, int *priority)
{
	if (!priority)
		return hodei__arg_null("priority");
	for (int p = 1; name && p <= 4; p++)
		if (strcasecmp(name, priority_names[p]) == 0) {
			*priority = p;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "priority: unknown priority '%s' (LOW, NORMAL, HIGH, CRITICAL)",
	                  name ? name : "(null)");
}

bool hodei__state_final(int state)
{
	return state >= HODEI_JOB_SUCCEEDED && state <= HODEI_JOB_TIMED_OUT;
}

bool hodei__state_allowed(int from, int to)
{
	switch (to) {
	case HODEI_JOB_QUEUED: /* retry, requeue after a lost worker */
		return from == HODEI_JOB_ASSIGNED || from == HODEI_JOB_RUNNING ||
		       from == HODEI_JOB_FAILED || from == HODEI_JOB_TIMED_OUT ||
		       from == HODEI_JOB_CANCELLED;
	case HODEI_JOB_ASSIGNED:
		return from == HODEI_JOB_QUEUED;
	case HODEI_JOB_RUNNING:
		return from == HODEI_JOB_ASSIGNED;
	case HODEI_JOB_CANCELLED:
		return !hodei__state_final(from);
	case HODEI_JOB_FAILED: /* also straight from QUEUED: no provider can place it */
		return from == HODEI_JOB_QUEUED || from == HODEI_JOB_ASSIGNED ||
		       from == HODEI_JOB_RUNNING;
	case HODEI_JOB_SUCCEEDED:
	case HODEI_JOB_TIMED_OUT:
		return from == HODEI_JOB_ASSIGNED || from == HODEI_JOB_RUNNING;
	default:
		return false;
	}
}

static int64_t backoff(int attempt, int64_t base_ms)
{
	int shift = attempt - 1 < 10 ? attempt - 1 : 10;

	return base_ms << (shift > 0 ? shift : 0);
}

void hodei__outcome_of_run(hodei__outcome *out, const hodei_run_result *res, int attempt,
                           int max_retries, bool cancel_requested, int64_t backoff_ms)
{
	memset(out, 0, sizeof(*out));
	if (cancel_requested || res->cancelled) {
		out->state = HODEI_JOB_CANCELLED;
		snprintf(out->reason, sizeof(out->reason), "cancelled");
		return;
	}
	if (res->error) {
		out->state = HODEI_JOB_FAILED;
		snprintf(out->reason, sizeof(out->reason), "%s", res->error);
	} else if (res->timed_out) {
		out->state = HODEI_JOB_TIMED_OUT;
		snprintf(out->reason, sizeof(out->reason), "timed out");
	} else if (res->term_signal) {
		out->state = HODEI_JOB_FAILED;
		snprintf(out->reason, sizeof(out->reason), "killed by signal %d (%s)", res->term_signal,
		         strsignal(res->term_signal));
	} else if (res->exit_code != 0) {
		out->state = HODEI_JOB_FAILED;
		snprintf(out->reason, sizeof(out->reason), "exited with code %d", res->exit_code);
	} else {
		out->state = HODEI_JOB_SUCCEEDED;
		return;
	}
	if (attempt <= max_retries) {
		out->requeue = true;
		out->delay_ms = backoff(attempt, backoff_ms);
	}
}

void hodei__outcome_of_loss(hodei__outcome *out, const char *why, int attempt,
                            int max_retries, bool cancel_requested, int64_t backoff_ms)
{
	memset(out, 0, sizeof(*out));
	if (cancel_requested) {
		out->state = HODEI_JOB_CANCELLED;
		snprintf(out->reason, sizeof(out->reason), "cancelled (worker lost: %s)", why);
		return;
	}
	out->state = HODEI_JOB_FAILED;
	snprintf(out->reason, sizeof(out->reason), "worker lost: %s", why);
	/* A lost worker is not the job's fault: requeue it a few times more than
	 * its own retries allow before giving up. */
	if (attempt <= max_retries + HODEI__LOST_RETRIES) {
		out->requeue = true;
		out->keep_place = true; /* not behind what was queued after it */
		out->delay_ms = 0;
	}
}
