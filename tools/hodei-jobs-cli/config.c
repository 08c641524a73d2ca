/*
 * Named server contexts, as kubectl has: a configuration file holds, per
 * context, the server's address, its API token (or a file holding it) and
 * the CA file that verifies it, and which context is current.
 *
 *     current-context = prod
 *
 *     [context prod]
 *     server = hodei.example.com:50051
 *     token-file = /home/me/.config/hodei/prod.token
 *     ca = /home/me/.config/hodei/prod-ca.pem
 *
 * The file is $HODEI_CONFIG, else $XDG_CONFIG_HOME/hodei/config, else
 * ~/.config/hodei/config.  It is written 0600 (it may hold tokens).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_FILE (1 << 20)
#define MAX_LINE 4096
#define MAX_NAME 64

/* A name: 1-64 of [A-Za-z0-9._-]. */
int cli_config_valid_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= MAX_NAME && s[n] == '\0';
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int cli_config_path(char *buf, size_t size)
{
	const char *p = getenv("HODEI_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (p && p[0])
		n = snprintf(buf, size, "%s", p);
	else if (xdg && xdg[0])
		n = snprintf(buf, size, "%s/hodei/config", xdg);
	else if (home && home[0])
		n = snprintf(buf, size, "%s/.config/hodei/config", home);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

void cli_config_free(cli_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ncontexts; i++) {
		free(cfg->contexts[i].name);
		free(cfg->contexts[i].server);
		free(cfg->contexts[i].token);
		free(cfg->contexts[i].token_file);
		free(cfg->contexts[i].ca);
	}
	free(cfg->contexts);
	free(cfg->current);
	memset(cfg, 0, sizeof(*cfg));
}

cli_context *cli_config_find(const cli_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name && i < cfg->ncontexts; i++)
		if (strcmp(cfg->contexts[i].name, name) == 0)
			return &cfg->contexts[i];
	return NULL;
}

cli_context *cli_config_add(cli_config *cfg, const char *name)
{
	cli_context *grown, *c = cli_config_find(cfg, name);

	if (c)
		return c;
	grown = realloc(cfg->contexts, (cfg->ncontexts + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	cfg->contexts = grown;
	c = &grown[cfg->ncontexts];
	memset(c, 0, sizeof(*c));
	if (!(c->name = strdup(name)))
		return NULL;
	cfg->ncontexts++;
	return c;
}

/* Set *field to a copy of value ("" clears it); -1 on ENOMEM. */
int cli_config_set(char **field, const char *value)
{
	char *copy = value && value[0] ? strdup(value) : NULL;

	if (value && value[0] && !copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* One "key = value" line inside [context NAME] (c) or before any (c NULL). */
static int config_line(cli_config *cfg, cli_context *c, const char *key, const char *value,
                       const char *path, int lineno)
{
	char **field = NULL;

	if (!c && strcmp(key, "current-context") == 0)
		field = &cfg->current;
	else if (c && strcmp(key, "server") == 0)
		field = &c->server;
	else if (c && strcmp(key, "token") == 0)
		field = &c->token;
	else if (c && strcmp(key, "token-file") == 0)
		field = &c->token_file;
	else if (c && strcmp(key, "ca") == 0)
		field = &c->ca;
	if (!field)
		return cli_error(CLI_EXIT_USAGE, "%s:%d: unknown key '%s'%s", path, lineno, key,
		                 c ? " (expected server, token, token-file or ca)"
		                   : " before the first [context NAME]");
	if (strlen(value) >= MAX_LINE)
		return cli_error(CLI_EXIT_USAGE, "%s:%d: %s: too long", path, lineno, key);
	return cli_config_set(field, value) ? cli_error(CLI_EXIT_ERROR, "out of memory") : 0;
}

int cli_config_parse(cli_config *cfg, const char *text, const char *path)
{
	const char *p = text;
	cli_context *c = NULL;
	int lineno = 0, rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	while (*p && rc == 0) {
		size_t len = strcspn(p, "\n");
		char line[MAX_LINE + 1], *s, *eq;

		lineno++;
		if (len > MAX_LINE) {
			rc = cli_error(CLI_EXIT_USAGE, "%s:%d: line longer than %d bytes", path, lineno,
			               MAX_LINE);
			break;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (p[len] == '\n');
		s = trim(line);
		if (!s[0] || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			char *end = strchr(s, ']'), *name;

			if (!end || strncmp(s, "[context ", 9) != 0 || trim(end + 1)[0]) {
				rc = cli_error(CLI_EXIT_USAGE, "%s:%d: expected [context NAME]", path,
				               lineno);
				break;
			}
			*end = '\0';
			name = trim(s + 9);
			if (!cli_config_valid_name(name)) {
				rc = cli_error(CLI_EXIT_USAGE, "%s:%d: context name '%s': use 1-%d of "
				               "A-Z a-z 0-9 . _ -", path, lineno, name, MAX_NAME);
				break;
			}
			if (!(c = cli_config_add(cfg, name)))
				rc = cli_error(CLI_EXIT_ERROR, "out of memory");
			continue;
		}
		if (!(eq = strchr(s, '='))) {
			rc = cli_error(CLI_EXIT_USAGE, "%s:%d: expected KEY = VALUE", path, lineno);
			break;
		}
		*eq = '\0';
		rc = config_line(cfg, c, trim(s), trim(eq + 1), path, lineno);
	}
	if (rc)
		cli_config_free(cfg);
	return rc;
}

int cli_config_load(cli_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!f)
		return errno == ENOENT ? 0 : cli_error(CLI_EXIT_ERROR, "%s: %s", path,
		                                       strerror(errno));
	text = malloc(MAX_FILE + 1);
	if (!text) {
		fclose(f);
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	}
	n = fread(text, 1, MAX_FILE + 1, f);
	rc = ferror(f) ? cli_error(CLI_EXIT_ERROR, "%s: cannot read it", path)
	     : n > MAX_FILE ? cli_error(CLI_EXIT_USAGE, "%s: larger than %d bytes", path, MAX_FILE)
	                    : 0;
	fclose(f);
	if (rc == 0) {
		text[n] = '\0';
		rc = cli_config_parse(cfg, text, path);
	}
	free(text);
	return rc;
}

/* mkdir -p of the file's directory, 0700. */
static void make_parent(const char *path)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
}

static void write_kv(FILE *f, const char *key, const char *value)
{
	if (value)
		fprintf(f, "%s = %s\n", key, value);
}

int cli_config_save(const cli_config *cfg, const char *path)
{
	char tmp[4200];
	FILE *f;
	size_t i;
	int fd;

	make_parent(path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return cli_error(CLI_EXIT_USAGE, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return cli_error(CLI_EXIT_ERROR, "%s: %s", tmp, strerror(errno));
	}
	fprintf(f, "# hodei-jobs-cli contexts (see hodei-jobs-cli(1), CONFIGURATION)\n");
	write_kv(f, "current-context", cfg->current);
	for (i = 0; i < cfg->ncontexts; i++) {
		const cli_context *c = &cfg->contexts[i];

		fprintf(f, "\n[context %s]\n", c->name);
		write_kv(f, "server", c->server);
		write_kv(f, "token", c->token);
		write_kv(f, "token-file", c->token_file);
		write_kv(f, "ca", c->ca);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
		fclose(f);
		unlink(tmp);
		return cli_error(CLI_EXIT_ERROR, "%s: cannot write it", tmp);
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return cli_error(CLI_EXIT_ERROR, "%s: %s", path, strerror(e));
	}
	return 0;
}

/* The first line of a token file, without its newline; NULL and a message
 * on failure. */
static char *read_token_file(const char *path)
{
	char buf[4097];
	FILE *f = fopen(path, "r");
	char *copy;

	if (!f) {
		cli_error(CLI_EXIT_USAGE, "token-file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!(copy = strdup(buf)))
		cli_error(CLI_EXIT_ERROR, "out of memory");
	return copy;
}

int cli_apply_context(cli_ctx *cli)
{
	const char *env_server = getenv("HODEI_SERVER"), *env_token = getenv("HODEI_API_TOKEN");
	char path[4096];
	const cli_context *c;
	int explicit = cli->context_name != NULL, rc;

	if (cli_config_path(path, sizeof(path)) != 0) {
		if (explicit)
			return cli_error(CLI_EXIT_USAGE, "--context: no configuration file (set "
			                 "HODEI_CONFIG or HOME)");
		return 0;
	}
	if ((rc = cli_config_load(&cli->config, path)) != 0)
		return rc;
	c = cli_config_find(&cli->config, explicit ? cli->context_name : cli->config.current);
	if (!c) {
		if (explicit)
			return cli_error(CLI_EXIT_USAGE, "--context: no context '%s' in %s",
			                 cli->context_name, path);
		if (cli->config.current)
			return cli_error(CLI_EXIT_USAGE, "%s: current-context '%s' is not defined "
			                 "there", path, cli->config.current);
		return 0;
	}
	/* an explicit --context wins over the environment; the file's current
	 * context does not */
	if (!cli->server && c->server && (explicit || !env_server || !env_server[0]))
		cli->server = c->server;
	if ((c->token || c->token_file) && (explicit || !env_token)) {
		char *token = c->token ? strdup(c->token) : read_token_file(c->token_file);

		if (!token)
			return c->token ? cli_error(CLI_EXIT_ERROR, "out of memory") : CLI_EXIT_USAGE;
		free(cli->token);
		cli->token = token;
	}
	if (c->ca && !cli->cacert && (explicit || !getenv("HODEI_CA_FILE")))
		cli->cacert = c->ca;
	return 0;
}
