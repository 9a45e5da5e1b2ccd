/* The ceiling of the stack: the least a FastCGI program can do per request.
 * "?sleep=MS" holds the process that long (bench/contacts.sh uses it to grow
 * mod_fcgid's pool before measuring; measured requests never sleep). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request r;
	char buf[65536];
	const char *q;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), r.in) > 0)
			; /* drain a body: mod_fcgid sends all of it before reading */
		if ((q = FCGX_GetParam("QUERY_STRING", r.envp)) != NULL && strncmp(q, "sleep=", 6) == 0)
			poll(NULL, 0, (int)strtol(q + 6, NULL, 10));
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
		    "{\"hello\":\"world\"}\n", r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
