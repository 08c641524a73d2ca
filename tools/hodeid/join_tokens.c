/*
 * Join tokens: the secrets with which agents join static pools, each scoped
 * to one pool.  They come from the join tokens file (--join-tokens-file),
 * one "POOL TOKEN" per line ('#' comments and blank lines skipped; POOL "*"
 * means any static pool), and from the single --join-token-file /
 * HODEI_JOIN_TOKEN, which counts as "* TOKEN".  SIGHUP reads the file again:
 * a token added there works at once, and a token removed is revoked (agents
 * that joined with it are disconnected and cannot register again).  A file
 * that cannot be read or parsed keeps the tokens as they were.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hodeid.h"

#define LINE_MAX_BYTES 8192

typedef struct join_token {
	char *pool;  /* "*": any static pool */
	char *token;
} join_token;

struct join_tokens {
	size_t n;
	join_token *items;
};

static void tokens_free(struct join_tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].pool);
		explicit_bzero(t->items[i].token, strlen(t->items[i].token));
		free(t->items[i].token);
	}
	free(t->items);
	free(t);
}

static int tokens_add(struct join_tokens *t, const char *pool, const char *token)
{
	join_token *grown = realloc(t->items, (t->n + 1) * sizeof *grown);
	if (!grown)
		return -1;
	t->items = grown;
	t->items[t->n].pool = strdup(pool);
	t->items[t->n].token = strdup(token);
	if (!t->items[t->n].pool || !t->items[t->n].token) {
		free(t->items[t->n].pool);
		free(t->items[t->n].token);
		return -1;
	}
	t->n++;
	return 0;
}

/* One line: "POOL TOKEN", a comment or nothing.  0, or -1 with why. */
static int parse_line(struct join_tokens *t, char *line, const char **why)
{
	char *pool = line, *token, *end;
	line[strcspn(line, "\r\n")] = '\0';
	while (isspace((unsigned char)*pool))
		pool++;
	if (!*pool || *pool == '#')
		return 0;
	token = pool + strcspn(pool, " \t");
	if (!*token) {
		*why = "expected POOL TOKEN";
		return -1;
	}
	*token++ = '\0';
	while (isspace((unsigned char)*token))
		token++;
	for (end = token + strlen(token); end > token && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	if (!*token || strpbrk(token, " \t")) {
		*why = "expected POOL TOKEN (one token, no spaces)";
		return -1;
	}
	if (strcmp(pool, "*") != 0 && strspn(pool, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                           "0123456789._:-") != strlen(pool)) {
		*why = "POOL: a pool name ([A-Za-z0-9._:-]) or *";
		return -1;
	}
	if (tokens_add(t, pool, token) != 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static int parse_file(struct join_tokens *t, const char *path)
{
	char line[LINE_MAX_BYTES];
	struct stat st;
	int lineno = 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		LOG_ERROR("join tokens file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		LOG_WARN("join tokens file %s is readable by others (mode %03o): make it 0600", path,
		         (unsigned)(st.st_mode & 0777));
	while (fgets(line, sizeof line, f)) {
		const char *why = NULL;
		lineno++;
		if (parse_line(t, line, &why) != 0) {
			LOG_ERROR("join tokens file %s:%d: %s", path, lineno, why);
			explicit_bzero(line, sizeof line);
			fclose(f);
			return -1;
		}
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	return 0;
}

int join_tokens_load(hodeid *d)
{
	struct join_tokens *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	if ((d->cfg.join_token && tokens_add(t, "*", d->cfg.join_token) != 0) ||
	    (d->cfg.join_tokens_file && parse_file(t, d->cfg.join_tokens_file) != 0)) {
		tokens_free(t);
		return -1;
	}
	tokens_free(d->join_tokens);
	d->join_tokens = t;
	LOG_INFO("join tokens loaded count=%zu", t->n);
	return 0;
}

void join_tokens_free(hodeid *d)
{
	tokens_free(d->join_tokens);
	d->join_tokens = NULL;
}

const char *join_token_scope(hodeid *d, const char *token)
{
	const char *scope = NULL;
	/* Every entry is compared, so the time does not tell which one matched. */
	for (size_t i = 0; token && d->join_tokens && i < d->join_tokens->n; i++)
		if (secret_equal(token, d->join_tokens->items[i].token) && !scope)
			scope = d->join_tokens->items[i].pool;
	return scope;
}

int join_tokens_any(hodeid *d)
{
	return d->join_tokens && d->join_tokens->n > 0;
}
