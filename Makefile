# colddialer — `make run` serves the app, `make test` proves it.
# Both install what is missing first (make deps), so a fresh Debian 12
# machine needs nothing else. SAN=1 builds and tests with ASan+UBSan.

SAN ?= 0
PORT ?= 8080

CC ?= cc
CXX ?= g++
WARN = -Wall -Wextra -Werror
DEFS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
INCS = -Ilib -I/usr/include/cjson

ifeq ($(SAN),1)
BUILD ?= build/san
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SANLD = -fsanitize=address,undefined
else
BUILD ?= build
OPT = -O2 -g
SANLD =
endif

CFLAGS_ALL = -std=c11 $(WARN) $(OPT) $(DEFS) $(INCS) $(CFLAGS)
CXXFLAGS_ALL = -std=c++17 $(WARN) $(OPT) $(INCS) $(CXXFLAGS)
LIBS = -lfcgi -lcurl -lcjson -lsqlite3 -lssl -lcrypto -ljwt -lcsv \
       -lphonenumber -lstdc++ $(LDLIBS)
LDFLAGS_ALL = $(SANLD) $(LDFLAGS)

LIB_C = $(wildcard lib/*.c)
LIB_CXX = $(wildcard lib/*.cc)
LIB_OBJ = $(LIB_C:lib/%.c=$(BUILD)/lib/%.o) $(LIB_CXX:lib/%.cc=$(BUILD)/lib/%.o) \
          $(BUILD)/lib/migrations.o
LIBA = $(BUILD)/libdialer.a

CGI_SRC = $(wildcard cgi-bin/*.c)
CGI_BIN = $(CGI_SRC:cgi-bin/%.c=$(BUILD)/cgi-bin/%)
CTL = $(BUILD)/dialerctl
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MIGRATIONS = $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))

# Debian packages the build, `make run` and `make test` need.
DEB_PKGS = build-essential pkg-config libfcgi-dev libcurl4-openssl-dev \
  libcjson-dev libsqlite3-dev libssl-dev libjwt-dev libphonenumber-dev \
  libcsv-dev libcmocka-dev apache2 libapache2-mod-fcgid sqlite3 curl \
  python3 python3-pytest python3-requests python3-phonenumbers \
  python3-twilio python3-jwt python3-cryptography wrk hyperfine
# ... and the browser tests (Debian's chromium, driven by npm playwright-core).
TEST_PKGS = chromium

# Browser libraries come from npm (package-lock.json), never a CDN: copied
# into html/vendor/, which Apache serves and git ignores.
VENDOR = html/vendor/twilio.min.js html/vendor/telnyx-webrtc.js

.PHONY: all deps test-deps vendor build test unit e2e browser run bench clean help
.DEFAULT_GOAL := all

all: $(LIBA) $(CGI_BIN) $(CTL) $(UNIT_BIN)

help:
	@echo "make run     install what is missing, build, serve on http://127.0.0.1:$(PORT)"
	@echo "make test    install what is missing, build, run every test (SAN=1: sanitizers)"
	@echo "make bench   run the benchmarks in bench/ (figures go in README)"
	@echo "make deps    install missing Debian packages only"

deps:
	@tools/deps.sh $(DEB_PKGS)
	@command -v node >/dev/null 2>&1 || tools/deps.sh nodejs npm
	@tools/npm-deps.sh
	@$(MAKE) -s --no-print-directory vendor

test-deps: deps
	@tools/deps.sh $(TEST_PKGS)

vendor: $(VENDOR)

html/vendor/twilio.min.js: node_modules/@twilio/voice-sdk/dist/twilio.min.js
	@mkdir -p $(dir $@)
	cp $< $@

html/vendor/telnyx-webrtc.js: node_modules/@telnyx/webrtc/lib/bundle.js
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/lib/%.o: lib/%.c lib/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/lib/%.o: lib/%.cc lib/*.h
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_ALL) -c $< -o $@

$(BUILD)/lib/migrations.c: $(MIGRATIONS) tools/embed-sql.sh
	@mkdir -p $(dir $@)
	tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/lib/migrations.o: $(BUILD)/lib/migrations.c lib/migrations.h
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/cgi-bin/%: cgi-bin/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< -o $@ $(LDFLAGS_ALL) $(LIBA) $(LIBS)

CTL_SRC = tools/dialerctl.c $(wildcard tools/ctl_*.c)
$(CTL): $(CTL_SRC) tools/ctl.h $(LIBA)
	$(CC) $(CFLAGS_ALL) -Itools $(CTL_SRC) -o $@ $(LDFLAGS_ALL) $(LIBA) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/*.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< -o $@ $(LDFLAGS_ALL) $(LIBA) $(LIBS) -lcmocka

build: all

test: test-deps
	@$(MAKE) -s --no-print-directory all SAN=$(SAN) >/dev/null
	@tests/run.sh $(BUILD)

unit: all
	@tests/run.sh $(BUILD) unit

e2e: all vendor
	@tests/run.sh $(BUILD) e2e

browser: all vendor
	@tests/run.sh $(BUILD) browser

run: deps
	@$(MAKE) -s --no-print-directory all SAN=$(SAN)
	@PORT=$(PORT) tools/serve.sh $(BUILD)

bench: deps all
	@bench/run.sh $(BUILD)

clean:
	rm -rf build var/run html/vendor
