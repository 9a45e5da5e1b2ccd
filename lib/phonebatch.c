#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "phonebatch.h"

#define MAX_HELPERS 3
#define MAX_TEXT PHONEBATCH_MAX_TEXT

struct helper {
	pid_t pid;
	int fd; /* -1: none or dead */
};

static struct helper helpers[MAX_HELPERS];
static int nhelpers = -1; /* -1: not started yet */

struct reply {
	int32_t why;
	struct phone_info info;
};

static int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The helper's whole life: read a batch, parse, answer; exit on EOF. */
static void
serve(int fd)
{
	static char text[PHONEBATCH_MAX][MAX_TEXT]; /* untouched pages cost nothing */
	static uint32_t lens[PHONEBATCH_MAX];
	static struct reply out[PHONEBATCH_MAX];
	uint32_t hdr[2], i;
	char region[4];

	for (;;) {
		if (read_all(fd, hdr, sizeof(hdr)) != 0 || hdr[0] > PHONEBATCH_MAX ||
		    read_all(fd, region, sizeof(region)) != 0)
			_exit(0);
		region[3] = '\0';
		for (i = 0; i < hdr[0]; i++)
			if (read_all(fd, &lens[i], sizeof(lens[i])) != 0 || lens[i] > MAX_TEXT ||
			    read_all(fd, text[i], lens[i]) != 0)
				_exit(0);
		for (i = 0; i < hdr[0]; i++) {
			memset(&out[i], 0, sizeof(out[i]));
			out[i].why = phone_parse_brief(text[i], lens[i],
			    region[0] != '\0' ? region : NULL, &out[i].info);
		}
		if (write_all(fd, out, hdr[0] * sizeof(out[0])) != 0)
			_exit(0);
	}
}

static void
start_helpers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), want;
	int i, sv[2];

	nhelpers = 0;
	want = cpus > 1 ? (cpus - 1 < MAX_HELPERS ? cpus - 1 : MAX_HELPERS) : 0;
	if (config_get_long("DIALER_IMPORT_WORKERS", want, 0, MAX_HELPERS, &want) != DL_OK)
		want = 0;
	for (i = 0; i < want; i++) {
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
			break;
		if ((pid = fork()) < 0) {
			close(sv[0]);
			close(sv[1]);
			break;
		}
		if (pid == 0) {
			int fd, keep = sv[1];

			/* Nothing of the parent's — its FastCGI socket, the
			 * database — may stay open here. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			signal(SIGPIPE, SIG_IGN);
			for (fd = 0; fd < 1024; fd++)
				if (fd != keep)
					close(fd);
			serve(keep);
		}
		close(sv[1]);
		helpers[nhelpers].pid = pid;
		helpers[nhelpers].fd = sv[0];
		nhelpers++;
	}
}

static void
retire(struct helper *h)
{
	close(h->fd);
	h->fd = -1;
	waitpid(h->pid, NULL, WNOHANG);
}

static int
send_share(struct helper *h, struct phonebatch_item *items, size_t n,
    const char *region)
{
	char buf[65536];
	size_t used = 0, i;
	uint32_t hdr[2] = { (uint32_t)n, 0 };
	char reg[4] = { 0 };

	if (region != NULL)
		strncpy(reg, region, 3);
	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), reg, sizeof(reg));
	used = sizeof(hdr) + sizeof(reg);
	for (i = 0; i < n; i++) {
		uint32_t len = (uint32_t)items[i].len;

		if (used + sizeof(len) + len > sizeof(buf) && used > 0) {
			if (write_all(h->fd, buf, used) != 0)
				return -1;
			used = 0;
		}
		memcpy(buf + used, &len, sizeof(len));
		memcpy(buf + used + sizeof(len), items[i].text, len);
		used += sizeof(len) + len;
	}
	return write_all(h->fd, buf, used);
}

static int
read_share(struct helper *h, struct phonebatch_item *items, size_t n)
{
	struct reply r;
	size_t i;

	for (i = 0; i < n; i++) {
		if (read_all(h->fd, &r, sizeof(r)) != 0)
			return -1;
		items[i].why = (enum phone_reason)r.why;
		items[i].info = r.info;
	}
	return 0;
}

static void
parse_here(struct phonebatch_item *items, size_t n, const char *region)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&items[i].info, 0, sizeof(items[i].info));
		items[i].why = phone_parse_brief(items[i].text, items[i].len, region,
		    &items[i].info);
	}
}

enum dl_err
phonebatch_parse(struct phonebatch_item *items, size_t n, const char *region)
{
	struct share {
		struct helper *h;
		size_t start, count;
		int sent;
	} sh[MAX_HELPERS];
	size_t own, off;
	int ns = 0, i;

	if (n > PHONEBATCH_MAX)
		return DL_ERR_INVALID;
	for (own = 0; own < n; own++)
		if (items[own].len > PHONEBATCH_MAX_TEXT)
			return DL_ERR_INVALID;
	if (nhelpers < 0)
		start_helpers();
	for (i = 0; i < nhelpers; i++)
		if (helpers[i].fd >= 0)
			sh[ns++].h = &helpers[i];
	/* The caller also inserts rows while the helpers work, so it takes a
	 * little less than an equal share. */
	own = ns > 0 ? n * 7 / (8 * (size_t)(ns + 1)) : n;
	off = own;
	for (i = 0; i < ns; i++) {
		sh[i].start = off;
		sh[i].count = i == ns - 1 ? n - off : (n - own) / (size_t)ns;
		off += sh[i].count;
		sh[i].sent = send_share(sh[i].h, items + sh[i].start, sh[i].count,
		    region) == 0;
	}
	parse_here(items, own, region);
	for (i = 0; i < ns; i++) {
		if (sh[i].sent && read_share(sh[i].h, items + sh[i].start,
		    sh[i].count) == 0)
			continue;
		retire(sh[i].h);
		parse_here(items + sh[i].start, sh[i].count, region);
	}
	return DL_OK;
}

int
phonebatch_helpers(void)
{
	int i, live = 0;

	for (i = 0; i < nhelpers; i++)
		live += helpers[i].fd >= 0;
	return live;
}
