/*
 * hodeid tls: a private CA and its certificates, for a secure set-up in a
 * few commands (README, "Secure set-up"), made with OpenSSL's library API.
 *
 *   hodeid tls init --data-dir D [--host NAME,IP,...] [--days N]
 *       D/tls/ca.pem, ca.key (the CA, made once and kept), server.pem
 *       (the server certificate then the CA's), server.key: a new server
 *       certificate on each run, for the names and addresses given.
 *   hodeid tls issue-client NAME --data-dir D [--pool POOL] [--days N]
 *       D/tls/clients/NAME.pem and NAME.key: a client certificate for a
 *       worker (mutual TLS, --tls-client-ca D/tls/ca.pem).
 *
 * Keys are EC P-256, written 0600; files appear whole (written aside, then
 * renamed), so a hodeid that watches them never reads half a file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "hodeid.h"

#define NAME_MAX_BYTES 64
#define HOSTS_MAX_BYTES 2048
#define DAYS_MAX 3650
#define DIR_MAX_BYTES 3000 /* --data-dir, so every path below it fits */

enum kind { KIND_CA, KIND_SERVER, KIND_CLIENT };

static const char tls_usage[] =
	"Usage: hodeid tls init --data-dir DIR [--host NAMES] [--days N]\n"
	"       hodeid tls issue-client NAME --data-dir DIR [--pool POOL] [--days N]\n"
	"\n"
	"init: a CA (DIR/tls/ca.pem and ca.key, made once and kept) and a new server\n"
	"certificate DIR/tls/server.pem and server.key for NAMES (comma-separated host\n"
	"names and IP addresses; default: localhost,127.0.0.1,::1 and this host's name).\n"
	"issue-client: a client certificate DIR/tls/clients/NAME.pem and NAME.key from\n"
	"that CA, for a worker under mutual TLS (--tls-client-ca DIR/tls/ca.pem).\n"
	"  -d, --data-dir DIR   hodeid's data directory (HODEI_DATA_DIR; ./hodei-data)\n"
	"      --host NAMES     the names clients use to reach hodeid\n"
	"      --pool POOL      the pool the worker is for (in its certificate's OU)\n"
	"      --days N         validity, 1-3650 (server and client: 365; the CA: 3650)\n"
	"Keys are EC P-256, written 0600.  See hodeid(8).\n";

static int fail(const char *what)
{
	fprintf(stderr, "hodeid tls: %s: %s\n", what, tls_error_text());
	return 1;
}

/* Write data to path through a 0600 (keys) or 0644 file renamed into place. */
static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "hodeid tls: cannot create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hodeid tls: cannot write %s: %s\n", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "hodeid tls: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* PEM of a key (private) or of certificates, appended to a memory BIO. */
static int save_pem(const char *path, EVP_PKEY *key, X509 *cert, X509 *chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	int ok = b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
	                   : PEM_write_bio_X509(b, cert) && (!chain || PEM_write_bio_X509(b, chain)));
	long len = ok ? BIO_get_mem_data(b, &data) : 0;
	int rc = ok && len > 0 ? write_file(path, data, (size_t)len, key ? 0600 : 0644) : -1;
	if (!ok)
		fprintf(stderr, "hodeid tls: cannot encode %s: %s\n", path, tls_error_text());
	BIO_free(b);
	return rc;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	int ok = ext && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* "DNS:a,IP:1.2.3.4" from "a,1.2.3.4"; -1 (said) for a malformed entry. */
static int san_of(const char *hosts, char *out, size_t len)
{
	char copy[HOSTS_MAX_BYTES];
	size_t used = 0;
	if (strlen(hosts) >= sizeof copy) {
		fprintf(stderr, "hodeid tls: --host: at most %d bytes\n", HOSTS_MAX_BYTES - 1);
		return -1;
	}
	memcpy(copy, hosts, strlen(hosts) + 1);
	out[0] = '\0';
	for (char *save = NULL, *h = strtok_r(copy, ", ", &save); h; h = strtok_r(NULL, ", ", &save)) {
		unsigned char buf[16];
		int ip = inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
		if (!ip && (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*") !=
		                strlen(h) || strlen(h) > 253)) {
			fprintf(stderr, "hodeid tls: --host: '%s' is neither a host name nor an IP "
			                "address\n", h);
			return -1;
		}
		int n = snprintf(out + used, len - used, "%s%s:%s", used ? "," : "", ip ? "IP" : "DNS", h);
		if (n < 0 || (size_t)n >= len - used) {
			fprintf(stderr, "hodeid tls: --host: too many names\n");
			return -1;
		}
		used += (size_t)n;
	}
	if (!used) {
		fprintf(stderr, "hodeid tls: --host: no name given\n");
		return -1;
	}
	return 0;
}

/*
 * A certificate for key, signed by issuer_key (self-signed when issuer is
 * NULL).  san: subjectAltName of a server; ou: a client's pool.
 */
static X509 *make_cert(EVP_PKEY *key, enum kind kind, const char *cn, const char *ou,
                       const char *san, X509 *issuer, EVP_PKEY *issuer_key, int days)
{
	X509 *cert = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	int ok = cert && RAND_bytes(serial, sizeof serial) == 1;
	serial[0] &= 0x7f; /* positive */
	ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) && X509_set_version(cert, 2) &&
	     X509_gmtime_adj(X509_getm_notBefore(cert), -3600) && /* clocks a little behind */
	     X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) &&
	     X509_set_pubkey(cert, key) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Hodei Jobs",
	                                -1, -1, 0) &&
	     (!ou || X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
	                                         (const unsigned char *)ou, -1, -1, 0)) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                                -1, 0) &&
	     X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
	BN_free(bn);
	X509 *signer = issuer ? issuer : cert;
	if (ok && kind == KIND_CA)
		ok = add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
		     add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
	else if (ok)
		ok = add_ext(cert, signer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		     add_ext(cert, signer, NID_key_usage, "critical,digitalSignature") == 0 &&
		     add_ext(cert, signer, NID_ext_key_usage,
		             kind == KIND_SERVER ? "serverAuth" : "clientAuth") == 0 &&
		     (!san || add_ext(cert, signer, NID_subject_alt_name, san) == 0);
	ok = ok && add_ext(cert, signer, NID_subject_key_identifier, "hash") == 0 &&
	     (kind == KIND_CA || add_ext(cert, signer, NID_authority_key_identifier, "keyid") == 0) &&
	     X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return key;
}

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return cert;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "hodeid tls: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

typedef struct tls_args {
	const char *data_dir, *hosts, *pool, *name;
	int days;
} tls_args;

/* The CA of data_dir/tls: loaded, or made when create is set and there is none. */
static int get_ca(const char *dir, int create, X509 **ca, EVP_PKEY **ca_key)
{
	char cert_path[4096], key_path[4096];
	snprintf(cert_path, sizeof cert_path, "%s/ca.pem", dir);
	snprintf(key_path, sizeof key_path, "%s/ca.key", dir);
	if (access(key_path, F_OK) == 0 || !create) {
		*ca = load_cert(cert_path);
		*ca_key = load_key(key_path);
		if (!*ca || !*ca_key) {
			fprintf(stderr, "hodeid tls: cannot load the CA %s and %s: %s%s\n", cert_path,
			        key_path, errno ? strerror(errno) : tls_error_text(),
			        create ? "" : " (run `hodeid tls init` first)");
			return -1;
		}
		return 0;
	}
	*ca_key = EVP_EC_gen("P-256");
	*ca = *ca_key ? make_cert(*ca_key, KIND_CA, "Hodei Jobs CA", NULL, NULL, NULL, NULL,
	                          DAYS_MAX)
	              : NULL;
	if (!*ca)
		return fail("cannot make the CA");
	if (save_pem(key_path, *ca_key, NULL, NULL) != 0 || save_pem(cert_path, NULL, *ca, NULL) != 0)
		return -1;
	printf("created the CA %s (key %s, 0600)\n", cert_path, key_path);
	return 0;
}

static int issue(const tls_args *a, enum kind kind)
{
	char dir[DIR_MAX_BYTES + 8], cert_path[4400], key_path[4400], san[4096],
	     hosts[HOSTS_MAX_BYTES + 300];
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	int rc = 1;
	if (strlen(a->data_dir) > DIR_MAX_BYTES) {
		fprintf(stderr, "hodeid tls: --data-dir: at most %d bytes\n", DIR_MAX_BYTES);
		goto out;
	}
	snprintf(dir, sizeof dir, "%s/tls", a->data_dir);
	if (make_dir(a->data_dir) != 0 || make_dir(dir) != 0 ||
	    get_ca(dir, kind == KIND_SERVER, &ca, &ca_key) != 0)
		goto out;
	if (kind == KIND_SERVER) {
		char me[256] = "";
		if (a->hosts)
			snprintf(hosts, sizeof hosts, "%s", a->hosts);
		else if (gethostname(me, sizeof me - 1) == 0 && me[0] && strcmp(me, "localhost") != 0)
			snprintf(hosts, sizeof hosts, "localhost,127.0.0.1,::1,%s", me);
		else
			snprintf(hosts, sizeof hosts, "localhost,127.0.0.1,::1");
		if (san_of(hosts, san, sizeof san) != 0)
			goto out;
		snprintf(cert_path, sizeof cert_path, "%s/server.pem", dir);
		snprintf(key_path, sizeof key_path, "%s/server.key", dir);
	} else {
		char clients[DIR_MAX_BYTES + 16];
		snprintf(clients, sizeof clients, "%s/clients", dir);
		if (make_dir(clients) != 0)
			goto out;
		snprintf(cert_path, sizeof cert_path, "%s/%s.pem", clients, a->name);
		snprintf(key_path, sizeof key_path, "%s/%s.key", clients, a->name);
	}
	const char *cn = kind == KIND_SERVER ? strtok(hosts, ", ") : a->name;
	key = EVP_EC_gen("P-256");
	cert = key ? make_cert(key, kind, cn, kind == KIND_CLIENT ? a->pool : NULL,
	                       kind == KIND_SERVER ? san : NULL, ca, ca_key, a->days)
	           : NULL;
	if (!cert) {
		rc = fail("cannot make the certificate");
		goto out;
	}
	/* the key first: a watching hodeid sees a new pair, never a new cert with the old key */
	if (save_pem(key_path, key, NULL, NULL) != 0 ||
	    save_pem(cert_path, NULL, cert, kind == KIND_SERVER ? ca : NULL) != 0)
		goto out;
	if (kind == KIND_SERVER)
		printf("created the server certificate %s (key %s, 0600) for %s, valid %d days\n"
		       "serve with:    hodeid --tls-cert %s --tls-key %s\n"
		       "clients trust: --cacert %s/ca.pem (or HODEI_CA_FILE) and use https://HOST:PORT\n",
		       cert_path, key_path, san, a->days, cert_path, key_path, dir);
	else
		printf("created the client certificate %s (key %s, 0600) for %s%s%s, valid %d days\n"
		       "the worker:    hodei-worker --tls-cert %s --tls-key %s --cacert %s/ca.pem\n"
		       "hodeid:        --tls-client-ca %s/ca.pem requires such certificates\n",
		       cert_path, key_path, a->name, a->pool ? " in pool " : "",
		       a->pool ? a->pool : "", a->days, cert_path, key_path, dir, dir);
	rc = 0;
out:
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}

static int valid_name(const char *what, const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_BYTES || s[0] == '.' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != n) {
		fprintf(stderr, "hodeid tls: %s: 1 to %d characters of [A-Za-z0-9._:-], not "
		                "starting with '.'\n", what, NAME_MAX_BYTES);
		return 0;
	}
	return 1;
}

int hodeid_cmd_tls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data-dir", required_argument, NULL, 'd'}, {"host", required_argument, NULL, 'n'},
		{"pool", required_argument, NULL, 'p'},     {"days", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	tls_args a = {0};
	const char *env = getenv("HODEI_DATA_DIR");
	a.data_dir = env && *env ? env : "./hodei-data";
	a.days = 365;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(tls_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a.data_dir = optarg; break;
		case 'n': a.hosts = optarg; break;
		case 'p': a.pool = optarg; break;
		case 'D': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || v < 1 || v > DAYS_MAX) {
				fprintf(stderr, "hodeid tls: --days: a whole number from 1 to %d\n", DAYS_MAX);
				return 2;
			}
			a.days = (int)v;
			break;
		}
		case 'h': fputs(tls_usage, stdout); return 0;
		default: fputs(tls_usage, stderr); return 2;
		}
	}
	if (strcmp(sub, "init") == 0 && optind == argc && !a.pool)
		return issue(&a, KIND_SERVER);
	if (strcmp(sub, "issue-client") == 0 && optind == argc - 1 && !a.hosts) {
		a.name = argv[optind];
		if (!valid_name("NAME", a.name) || (a.pool && !valid_name("--pool", a.pool)))
			return 2;
		return issue(&a, KIND_CLIENT);
	}
	fputs(tls_usage, stderr);
	return 2;
}
