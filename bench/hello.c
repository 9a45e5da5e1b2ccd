/* The ceiling of the stack: the least a FastCGI program can do per request. */
#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request r;
	char buf[65536];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), r.in) > 0)
			; /* drain a body: mod_fcgid sends all of it before reading */
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
		    "{\"hello\":\"world\"}\n", r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
