/*
 * XML escaping (lib/xml.c), the round-trip property: whatever xml_escape
 * accepts, put in a document as element content and as an attribute value
 * (the two places TwiML puts it), is read back by a real XML parser
 * (expat) as exactly the input. And a buffer too small gives
 * DL_ERR_TOOBIG with the output left as it was.
 *
 * The input is cut at its first NUL: xml_escape takes a C string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "fuzz_util.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the parser read: the attribute's value and the element's text. */
struct got {
	char *attr;
	char *text;
	size_t tlen, tcap;
};

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct got *g = ud;

	FUZZ_CHECK(strcmp(name, "r") == 0);
	FUZZ_CHECK(atts[0] != NULL && strcmp(atts[0], "a") == 0 && atts[2] == NULL);
	FUZZ_CHECK((g->attr = strdup(atts[1])) != NULL);
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct got *g = ud;

	if (g->tlen + (size_t)len + 1 > g->tcap) {
		size_t cap = (g->tlen + (size_t)len + 1) * 2;
		char *grown = realloc(g->text, cap);

		FUZZ_CHECK(grown != NULL);
		g->text = grown;
		g->tcap = cap;
	}
	memcpy(g->text + g->tlen, s, (size_t)len);
	g->tlen += (size_t)len;
	g->text[g->tlen] = '\0';
}

static void
fail_parse(XML_Parser p, const char *doc)
{
	fprintf(stderr, "fuzz: expat refused what xml_escape accepted: %s at byte %ld\n"
	    "document: %s\n", XML_ErrorString(XML_GetErrorCode(p)),
	    (long)XML_GetCurrentByteIndex(p), doc);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n = nul != NULL ? (size_t)(nul - data) : size, len = 0, esc;
	size_t outsz = 2 * 6 * n + 64; /* escaped twice, 6 bytes a byte at most */
	char *in, *out;
	struct got g = { NULL, NULL, 0, 0 };
	XML_Parser p;
	enum dl_err err;

	FUZZ_CHECK((in = malloc(n + 1)) != NULL && (out = malloc(outsz)) != NULL);
	memcpy(in, data, n);
	in[n] = '\0';
	/* <r a="ESC">ESC</r>, built the way TwiML is. */
	FUZZ_CHECK(xml_raw("<r a=\"", out, outsz, &len) == DL_OK);
	err = xml_escape(in, out, outsz, &len);
	if (err != DL_OK) {
		FUZZ_CHECK(err == DL_ERR_INVALID);
		FUZZ_CHECK(len == 6 && strcmp(out, "<r a=\"") == 0);
		goto done;
	}
	FUZZ_CHECK(len == strlen(out));
	esc = len - 6;
	FUZZ_CHECK(xml_raw("\">", out, outsz, &len) == DL_OK);
	FUZZ_CHECK(xml_escape(in, out, outsz, &len) == DL_OK);
	FUZZ_CHECK(xml_raw("</r>", out, outsz, &len) == DL_OK);

	FUZZ_CHECK((p = XML_ParserCreate("UTF-8")) != NULL);
	XML_SetUserData(p, &g);
	XML_SetElementHandler(p, on_start, NULL);
	XML_SetCharacterDataHandler(p, on_text);
	if (XML_Parse(p, out, (int)len, 1) != XML_STATUS_OK)
		fail_parse(p, out);
	XML_ParserFree(p);
	FUZZ_CHECK(g.attr != NULL);
	if (strcmp(g.attr, in) != 0 || strcmp(g.text != NULL ? g.text : "", in) != 0) {
		fprintf(stderr, "fuzz: round trip changed the text\ndocument: %s\n", out);
		abort();
	}

	/* A buffer one byte short of the escaped text and its NUL, or more:
	 * refused, the output as it was; exactly enough: taken. */
	if (n > 0) {
		size_t k = (size_t)data[0] % (esc + 1);

		len = 0;
		FUZZ_CHECK(xml_raw("<r>", out, outsz, &len) == DL_OK);
		FUZZ_CHECK(xml_escape(in, out, 3 + k, &len) == DL_ERR_TOOBIG);
		FUZZ_CHECK(len == 3 && strcmp(out, "<r>") == 0);
		FUZZ_CHECK(xml_escape(in, out, 3 + esc + 1, &len) == DL_OK);
		FUZZ_CHECK(len == 3 + esc && out[len] == '\0');
	}
done:
	free(g.attr);
	free(g.text);
	free(out);
	free(in);
	return 0;
}
