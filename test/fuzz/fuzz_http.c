/*
 * Fuzz target over what the HTTP port decides before it routes a request
 * (tools/hodeid/http_guard.c, session.c, webfile.c): the Host check against
 * DNS rebinding, the Origin check, the Cookie parser, the request-framing
 * check, and opening a dashboard file.  The input is lines: Host, Origin,
 * path, Cookie, then "Name: value" header lines.
 *
 * Invariants checked, beyond memory safety: a host naming "attacker" is
 * never allowed; a file that opens lies inside the web directory and is
 * not reached through the symbolic links planted there.
 */
#include <sys/queue.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hodeid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hodeid server;
static char web[PATH_MAX];

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void cleanup(void)
{
	static const char *const names[] = {"assets/app.js", "assets", "index.html", "link", "up"};
	char path[PATH_MAX * 2];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", web, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(web);
}

/* A web directory with a file, a subdirectory and links out of it. */
static void setup(void)
{
	char tmpl[] = "/tmp/hodei-fuzz-web-XXXXXX";
	char path[PATH_MAX + 64];
	if (!mkdtemp(tmpl) || !realpath(tmpl, web))
		abort();
	put(web, "index.html", "<html></html>");
	snprintf(path, sizeof path, "%s/assets", web);
	mkdir(path, 0700);
	put(path, "app.js", "1");
	snprintf(path, sizeof path, "%s/link", web);
	if (symlink("/etc/passwd", path) != 0)
		abort();
	snprintf(path, sizeof path, "%s/up", web);
	if (symlink("/", path) != 0)
		abort();
	atexit(cleanup);
	server.cfg.http_listen = "127.0.0.1:8080";
	server.cfg.public_hosts = "hodei.example,proxy.example:8443";
	server.cfg.dev_origin = "http://localhost:5173";
	server.cfg.api_token = "fuzz-token";
	server.http_port = 8080;
}

/* The next line of the input, NUL-terminated in buf. */
static const char *line(const uint8_t **p, const uint8_t *end, char *buf, size_t len)
{
	size_t n = 0;
	while (*p < end && **p != '\n') {
		if (n + 1 < len)
			buf[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	buf[n] = '\0';
	return buf;
}

static void check_file(const char *path)
{
	struct stat st;
	char link[64], real[PATH_MAX];
	int fd = web_open(web, path, &st);
	if (fd < 0)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	close(fd);
	if (n < 0)
		return;
	real[n] = '\0';
	if (strncmp(real, web, strlen(web)) != 0 || real[strlen(web)] != '/' || !S_ISREG(st.st_mode))
		abort(); /* served something outside the web directory */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char host[512], origin[512], path[2048], cookie[512], hdr[512];
	const uint8_t *p = data, *end = data + size;
	if (!ready) {
		setup();
		ready = 1;
	}
	line(&p, end, host, sizeof host);
	line(&p, end, origin, sizeof origin);
	line(&p, end, path, sizeof path);
	line(&p, end, cookie, sizeof cookie);
	if (http_host_allowed(&server, host) && strcasestr(host, "attacker"))
		abort();
	http_origin_allowed(&server, origin, host);
	session_principal(&server, cookie);
	check_file(path);
	struct evkeyvalq headers;
	TAILQ_INIT(&headers);
	for (int i = 0; i < 16 && p < end; i++) {
		line(&p, end, hdr, sizeof hdr);
		char *colon = strchr(hdr, ':');
		if (colon) {
			*colon = '\0';
			evhttp_add_header(&headers, hdr, colon + 1 + (colon[1] == ' '));
		}
	}
	http_smuggling(&headers);
	evhttp_clear_headers(&headers);
	return 0;
}
