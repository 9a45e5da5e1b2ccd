# libFuzzer targets (tests/fuzz/fuzz_*.c, one per file), included by the
# Makefile. clang builds the library a second time, instrumented for
# coverage and with ASan+UBSan, into FUZZ_BUILD: the gcc build (BUILD) is
# never touched, so FUZZ_BUILD must not be BUILD.
#   make fuzz         every target for FUZZ_TIME seconds (default 60)
#   make fuzz-smoke   every target for FUZZ_SMOKE_TIME seconds (make test)
# tests/fuzz/run.sh replays tests/fuzz/regress/<target>/ first, then fuzzes
# from tests/fuzz/corpus/<target>/ with tests/fuzz/<target>.dict.

# A clean Debian 12 needs these for the targets: clang's libFuzzer and
# sanitizer runtimes (libclang-rt-14-dev is only Recommended by clang-14,
# and deps.sh installs without recommends), and expat as the XML oracle.
FUZZ_PKGS = clang-14 libclang-rt-14-dev libexpat1-dev

FUZZ_CC ?= clang-14
FUZZ_CXX ?= clang++-14
FUZZ_BUILD ?= build/fuzz
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 8

FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OPT = -O1 -g -fno-omit-frame-pointer
# The library is built as it is, warnings shown but not fatal (clang's
# set differs from gcc's); the harnesses must be clean.
FUZZ_LIB_CFLAGS = -std=c11 -Wall -Wextra $(FUZZ_OPT) $(DEFS) $(INCS) \
  -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_CXXFLAGS = -std=c++17 -Wall -Wextra $(FUZZ_OPT) $(INCS) \
  -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_CFLAGS = -std=c11 -Wall -Wextra -Werror $(FUZZ_OPT) $(DEFS) $(INCS) \
  -Itests/fuzz -fsanitize=fuzzer-no-link $(FUZZ_SAN)

FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ = $(LIB_C:lib/%.c=$(FUZZ_BUILD)/lib/%.o) \
  $(LIB_CXX:lib/%.cc=$(FUZZ_BUILD)/lib/%.o) \
  $(FUZZ_BUILD)/gen/migrations.o $(FUZZ_BUILD)/gen/callhours_tzmap.o
FUZZ_LIBA = $(FUZZ_BUILD)/libdialer.a

# fuzz_json_body validates against the handlers' own field tables: each
# cgi-bin program that reads a JSON body is compiled once more, its main
# renamed, beside a list of its tables (tests/fuzz/json_fields.c).
FUZZ_JSON_CGI = auth_login calls cold_call dnc queue users
FUZZ_JSON_OBJ = $(FUZZ_JSON_CGI:%=$(FUZZ_BUILD)/json_fields_%.o)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps

fuzz-deps:
	@tools/deps.sh $(DEB_PKGS) $(FUZZ_PKGS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_TIME)

# Everything below compiles with clang: the packages come first.

$(FUZZ_BUILD)/lib/%.o: lib/%.c lib/*.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/lib/%.o: lib/%.cc lib/*.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_LIB_CXXFLAGS) -c $< -o $@

# The same generated sources as the Makefile's, in a directory of their own.
$(FUZZ_BUILD)/gen/migrations.c: $(MIGRATIONS) tools/embed-sql.sh
	@mkdir -p $(dir $@)
	tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/gen/callhours_tzmap.c: tools/gen-tzmap.py \
    $(wildcard /usr/lib/python3/dist-packages/phonenumbers/tzdata/*.py)
	@mkdir -p $(dir $@)
	/usr/bin/python3 tools/gen-tzmap.py > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/gen/%.o: $(FUZZ_BUILD)/gen/%.c lib/*.h | fuzz-deps
	$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FUZZ_LIBA): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/json_fields_%.o: tests/fuzz/json_fields.c tests/fuzz/json_fields.h \
    cgi-bin/%.c lib/*.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DJSON_FIELDS_SRC='"../../cgi-bin/$*.c"' \
	  -DJSON_FIELDS_MAIN=cgi_main_$* -DJSON_FIELDS_$* -c $< -o $@

$(FUZZ_BUILD)/%.o: tests/fuzz/%.c tests/fuzz/*.h lib/*.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_json_body: $(FUZZ_JSON_OBJ)
$(FUZZ_BUILD)/fuzz_xml_escape: FUZZ_EXTRA_LIBS = -lexpat

# Linked by the C++ driver: phone.cc's UBSan checks need its C++ runtime.
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/fuzz_%.o $(FUZZ_LIBA)
	$(FUZZ_CXX) -fsanitize=fuzzer $(FUZZ_SAN) $(filter %.o,$^) -o $@ \
	  $(FUZZ_LIBA) $(LIBS) $(FUZZ_EXTRA_LIBS)
