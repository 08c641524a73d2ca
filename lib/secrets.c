/*
 * Secret environment values at rest: AES-256-GCM (OpenSSL EVP) under a
 * random 256-bit key kept in "<database>.key" (mode 0600, created with the
 * first secret; hodeid's database is in its data directory, so the key is
 * too).  A job's secrets are one sealed blob in jobs.secret_env:
 *
 *     version (1) | nonce (12, random) | ciphertext | tag (16)
 *
 * with the job id as additional data, so a blob copied onto another job's
 * row does not open.  The plain text is the same packed vector as env.
 * Only the loop thread calls in here (through the store).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store_int.h"

#define SEAL_VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEADER_LEN (1 + NONCE_LEN)

static int read_key(hodei_store *st, const char *path, int fd)
{
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return hodei__err(HODEI_EIO, "secret key %s: not a regular file", path);
	if (sb.st_mode & 077)
		return hodei__err(HODEI_EIO, "secret key %s: mode %03o lets others read it"
		                  " (chmod 600 it)", path, (unsigned int)(sb.st_mode & 0777));
	n = read(fd, st->secret_key, sizeof(st->secret_key));
	if (n != (ssize_t)sizeof(st->secret_key))
		return hodei__err(HODEI_EIO, "secret key %s: not %zu bytes", path,
		                  sizeof(st->secret_key));
	return 0;
}

static int create_key(hodei_store *st, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return errno == EEXIST ? 1 : hodei__err(HODEI_EIO, "secret key %s: cannot create: %s",
		                                        path, strerror(errno));
	if (getrandom(st->secret_key, sizeof(st->secret_key), 0) != (ssize_t)sizeof(st->secret_key))
		rc = hodei__err(HODEI_EIO, "secret key %s: no randomness", path);
	else if (write(fd, st->secret_key, sizeof(st->secret_key)) != (ssize_t)sizeof(st->secret_key) ||
	         fsync(fd) != 0)
		rc = hodei__err(HODEI_EIO, "secret key %s: cannot write: %s", path, strerror(errno));
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

/* The key, read from its file or (create) made. */
static int load_key(hodei_store *st, bool create)
{
	hodei__buf path = { 0 };
	int rc, fd;

	if (st->secret_key_loaded)
		return 0;
	if (hodei__buf_addf(&path, "%s.key", st->path))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	for (int tries = 0; tries < 2; tries++) {
		fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			rc = read_key(st, path.data, fd);
			close(fd);
			break;
		}
		if (errno != ENOENT || !create) {
			rc = hodei__err(HODEI_EIO, "secret key %s: cannot open: %s", path.data,
			                strerror(errno));
			break;
		}
		if ((rc = create_key(st, path.data)) <= 0)
			break; /* made, or failed; 1: made by another process, read it */
	}
	hodei__buf_free(&path);
	if (!rc)
		st->secret_key_loaded = true;
	else
		explicit_bzero(st->secret_key, sizeof(st->secret_key));
	return rc;
}

/* Encrypt (enc) or decrypt n bytes of in into out; the tag is in or out. */
static int gcm(const hodei_store *st, bool enc, const uint8_t *nonce, const char *aad,
               const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	if (!c)
		return HODEI_ENOMEM;
	ok = (enc ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, st->secret_key, nonce)
	          : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, st->secret_key, nonce)) == 1 &&
	     EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
	     EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : HODEI_EIO;
}

int hodei__secrets_seal(hodei_store *st, const char *id, const char *const *entries, size_t n,
                        uint8_t **blob, size_t *bloblen)
{
	size_t plen = 0;
	uint8_t *plain, *out;
	int rc;

	*blob = NULL;
	*bloblen = 0;
	if ((rc = load_key(st, true)))
		return rc;
	if (!(plain = hodei__vec_pack(entries, n, &plen)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (!(out = malloc(HEADER_LEN + plen + TAG_LEN))) {
		explicit_bzero(plain, plen);
		free(plain);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	out[0] = SEAL_VERSION;
	if (getrandom(out + 1, NONCE_LEN, 0) != NONCE_LEN)
		rc = hodei__err(HODEI_EIO, "secret_env: no randomness for the nonce");
	else if (gcm(st, true, out + 1, id, plain, plen, out + HEADER_LEN, out + HEADER_LEN + plen))
		rc = hodei__err(HODEI_EIO, "secret_env: encryption failed");
	explicit_bzero(plain, plen);
	free(plain);
	if (rc) {
		free(out);
		return rc;
	}
	*blob = out;
	*bloblen = HEADER_LEN + plen + TAG_LEN;
	return 0;
}

int hodei__secrets_open(hodei_store *st, const char *id, const uint8_t *blob, size_t len,
                        char ***entries, size_t *n)
{
	uint8_t *plain;
	size_t plen;
	int rc;

	*entries = NULL;
	*n = 0;
	if (len < HEADER_LEN + TAG_LEN || blob[0] != SEAL_VERSION)
		return hodei__err(HODEI_EIO, "job '%s': its secrets are not in a known format", id);
	if ((rc = load_key(st, false)))
		return rc;
	plen = len - HEADER_LEN - TAG_LEN;
	if (!(plain = malloc(plen ? plen : 1)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (gcm(st, false, blob + 1, id, blob + HEADER_LEN, plen, plain,
	        (uint8_t *)(uintptr_t)(blob + HEADER_LEN + plen))) {
		free(plain);
		return hodei__err(HODEI_EIO, "job '%s': its secrets do not decrypt with %s.key"
		                  " (another key, or altered)", id, st->path);
	}
	*entries = hodei__vec_unpack(plain, plen, n);
	explicit_bzero(plain, plen);
	free(plain);
	return *entries ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}
