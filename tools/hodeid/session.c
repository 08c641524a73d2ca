/*
 * Dashboard sessions: a browser signs in once with an API token and gets a
 * random session id in an HttpOnly, SameSite=Strict cookie.  The table
 * lives in memory only (a restart signs everyone out).  A session records
 * the *name* of the token it was opened with, not the token, so that once
 * several named tokens exist, revoking one ends its sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hodeid.h"

#define SESSION_ID_BYTES 32
#define SESSION_MAX 256
#define SESSION_LIFETIME_MS (12LL * 3600 * 1000)

typedef struct session {
	char id[2 * SESSION_ID_BYTES + 1]; /* hex; "" = free slot */
	char token_name[HODEI_TOKEN_NAME_MAX + 1];
	int64_t expires_ms;
} session;

struct hodeid_sessions {
	session slots[SESSION_MAX];
};

static struct hodeid_sessions *table(hodeid *d)
{
	if (!d->sessions)
		d->sessions = calloc(1, sizeof *d->sessions);
	return d->sessions;
}

void sessions_free(hodeid *d)
{
	if (d->sessions)
		explicit_bzero(d->sessions, sizeof *d->sessions);
	free(d->sessions);
	d->sessions = NULL;
}

const char *token_name_of(const hodeid *d, const char *token)
{
	const char *name;
	int role;
	return auth_token(d, token, &name, &role) == 0 ? name : NULL;
}

/* Whether the token a session was opened with still exists. */
static int token_name_live(const hodeid *d, const char *name)
{
	return auth_name_role(d, name) != 0;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static int cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;
	while (p && *p) {
		p += strspn(p, " \t;");
		size_t len = strcspn(p, ";");
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p += len;
	}
	return -1;
}

static session *find(hodeid *d, const char *cookie_header)
{
	char id[2 * SESSION_ID_BYTES + 1];
	struct hodeid_sessions *t = table(d);
	if (!t || !cookie_header ||
	    cookie_value(cookie_header, SESSION_COOKIE, id, sizeof id) != 0 ||
	    strlen(id) != 2 * SESSION_ID_BYTES)
		return NULL;
	int64_t now = now_ms();
	session *found = NULL;
	for (size_t i = 0; i < SESSION_MAX; i++) {
		session *s = &t->slots[i];
		if (s->id[0] && s->expires_ms <= now)
			memset(s, 0, sizeof *s);
		if (s->id[0] && secret_equal(id, s->id))
			found = s; /* no early exit: every slot costs the same */
	}
	return found;
}

const char *session_principal(hodeid *d, const char *cookie_header)
{
	session *s = find(d, cookie_header);
	if (!s)
		return NULL;
	if (!token_name_live(d, s->token_name)) {
		memset(s, 0, sizeof *s);
		return NULL;
	}
	return s->token_name;
}

int session_create(hodeid *d, const char *token_name, char *cookie, size_t cookielen)
{
	uint8_t raw[SESSION_ID_BYTES];
	struct hodeid_sessions *t = table(d);
	if (!t || getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1; /* never a guessable id */
	session *slot = &t->slots[0];
	int64_t now = now_ms();
	for (size_t i = 0; i < SESSION_MAX; i++) {
		session *s = &t->slots[i];
		if (!s->id[0] || s->expires_ms <= now) {
			slot = s;
			break;
		}
		if (s->expires_ms < slot->expires_ms)
			slot = s; /* full: the oldest goes */
	}
	memset(slot, 0, sizeof *slot);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(slot->id + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	snprintf(slot->token_name, sizeof slot->token_name, "%s", token_name);
	slot->expires_ms = now + SESSION_LIFETIME_MS;
	snprintf(cookie, cookielen, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
	         SESSION_COOKIE, slot->id, SESSION_LIFETIME_MS / 1000,
	         d->tls ? "; Secure" : ""); /* over TLS: never sent in clear text */
	return 0;
}

void session_delete(hodeid *d, const char *cookie_header)
{
	session *s = find(d, cookie_header);
	if (s)
		memset(s, 0, sizeof *s);
}
