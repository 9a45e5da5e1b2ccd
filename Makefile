# colddialer — `make run` serves the app, `make test` proves it.
# Both install what is missing first (make deps), so a fresh Debian 12
# machine needs nothing else. SAN=1 builds and tests with ASan+UBSan.

SAN ?= 0
PORT ?= 8080
# The web server `make run` serves with: apache (apache.conf) or lighttpd
# (lighttpd.conf, the fastest: README, Benchmarks).
SERVER ?= apache
# lighttpd: processes per program, all started with the server, and its
# worker processes (WORKERS=2 PROCS=2 is the fastest on two cores).
PROCS ?= 4
WORKERS ?= 1

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
          $(BUILD)/lib/migrations.o $(BUILD)/lib/callhours_tzmap.o
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
  libcsv-dev libcmocka-dev apache2 libapache2-mod-fcgid lighttpd sqlite3 curl \
  python3 python3-pytest python3-requests python3-phonenumbers \
  python3-twilio python3-jwt python3-cryptography wrk hyperfine tzdata \
  spawn-fcgi multiwatch
# ... and the browser tests (Debian's chromium, driven by npm playwright-core).
TEST_PKGS = chromium valgrind

# Browser libraries come from npm (package-lock.json), never a CDN: copied
# into html/vendor/, which Apache serves and git ignores.
VENDOR = html/vendor/twilio.min.js html/vendor/telnyx-webrtc.js \
  html/vendor/uPlot.iife.min.js html/vendor/uPlot.min.css

.PHONY: all deps test-deps vendor build test unit e2e browser run bench clean help demo-data check-source valgrind
.DEFAULT_GOAL := all

all: check-source $(LIBA) $(CGI_BIN) $(CTL) $(UNIT_BIN)

# The build fails on string-built SQL and on sprintf, vsprintf, strcpy,
# strcat, gets, atoi, atol, atof anywhere in our C (tools/check-source.sh).
check-source:
	@tools/check-source.sh

help:
	@echo "make run     install what is missing, build, serve on http://127.0.0.1:$(PORT)"
	@echo "             with Apache; SERVER=lighttpd serves with lighttpd instead"
	@echo "             (the fastest: SERVER=lighttpd WORKERS=2 PROCS=2; PROCS=N processes"
	@echo "             per program, default 4; WORKERS=N lighttpd workers, default 1)"
	@echo "make test    install what is missing, build, run every test (SAN=1: sanitizers)"
	@echo "make fuzz    every libFuzzer target in tests/fuzz/ for FUZZ_TIME seconds (60)"
	@echo "make valgrind  memcheck over every unit test and a FastCGI program (10,000 requests)"
	@echo "make bench   run the benchmarks in bench/ (figures go in README)"
	@echo "make deps    install missing Debian packages only"
	@echo "make demo-data  a made-up month of calls in var/demo.db (DEMO_ARGS: seed-demo options)"
	@echo "make install build, then install under PREFIX (/usr/local), SYSCONFDIR (/etc),"
	@echo "             LOCALSTATEDIR (/var); DESTDIR stages; make uninstall keeps data"

deps:
	@tools/deps.sh $(DEB_PKGS)
	@command -v node >/dev/null 2>&1 || tools/deps.sh nodejs npm
	@tools/npm-deps.sh
	@$(MAKE) -s --no-print-directory vendor

test-deps: deps
	@tools/deps.sh $(TEST_PKGS) $(FUZZ_PKGS)

vendor: $(VENDOR)

html/vendor/twilio.min.js: node_modules/@twilio/voice-sdk/dist/twilio.min.js
	@mkdir -p $(dir $@)
	cp $< $@

html/vendor/telnyx-webrtc.js: node_modules/@telnyx/webrtc/lib/bundle.js
	@mkdir -p $(dir $@)
	cp $< $@

# uPlot (the stats page's charts): its script and its stylesheet.
html/vendor/uPlot.%: node_modules/uplot/dist/uPlot.%
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

# Number -> time zones for calling hours: libphonenumber's data as
# python3-phonenumbers ships it, made into C tables (never committed).
$(BUILD)/lib/callhours_tzmap.c: tools/gen-tzmap.py \
    $(wildcard /usr/lib/python3/dist-packages/phonenumbers/tzdata/*.py)
	@mkdir -p $(dir $@)
	/usr/bin/python3 tools/gen-tzmap.py > $@.tmp && mv $@.tmp $@

$(BUILD)/lib/callhours_tzmap.o: $(BUILD)/lib/callhours_tzmap.c lib/callhours.h
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

# A plain `make test` also builds the sanitizer build beside it (SAN_BUILD):
# the unit tests run on both, the Apache end-to-end suite on the sanitizer
# build, lighttpd's and the browser's on the optimized one, which valgrind
# and the fuzz smoke run need too. `make test SAN=1` runs everything on the
# sanitizer build.
SAN_BUILD = $(if $(filter build,$(BUILD)),build/san,$(BUILD)-san)

test: test-deps
	@$(MAKE) -s --no-print-directory all SAN=$(SAN) >/dev/null
	@$(MAKE) -s --no-print-directory fuzz-build >/dev/null
ifeq ($(SAN),1)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SMOKE_TIME=$(FUZZ_SMOKE_TIME) tests/run.sh $(BUILD)
else
	@$(MAKE) -s --no-print-directory all SAN=1 BUILD=$(SAN_BUILD) >/dev/null
	@SAN_BUILD=$(SAN_BUILD) FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SMOKE_TIME=$(FUZZ_SMOKE_TIME) \
	  tests/run.sh $(BUILD)
endif

unit: all
	@tests/run.sh $(BUILD) unit

e2e: all vendor
	@tests/run.sh $(BUILD) e2e

browser: all vendor
	@tests/run.sh $(BUILD) browser

run: deps
	@$(MAKE) -s --no-print-directory all SAN=$(SAN)
	@PORT=$(PORT) SERVER=$(SERVER) PROCS=$(PROCS) WORKERS=$(WORKERS) tools/serve.sh $(BUILD)

bench: deps all
	@bench/run.sh $(BUILD)

# Memcheck over every unit test and over cgi-bin/calls serving 10,000
# requests (VALGRIND_REQUESTS); needs a build without SAN=1.
valgrind: test-deps
	@$(MAKE) -s --no-print-directory all >/dev/null
	@tests/valgrind.sh $(BUILD) all

# A fresh var/demo.db holding a made-up month of calls (dialerctl
# seed-demo), e.g. DEMO_ARGS="--end 2026-11-20 --seed 1" for a fixed one.
DEMO_ARGS ?=
demo-data: deps
	@$(MAKE) -s --no-print-directory $(CTL) SAN=$(SAN)
	@mkdir -p var
	@rm -f var/demo.db var/demo.db-wal var/demo.db-shm
	@DIALER_DB=var/demo.db $(CTL) seed-demo $(DEMO_ARGS)
	@echo "reports: sqlite3 -readonly var/demo.db < sql/reports.sql"
	@echo "         sqlite3 -readonly var/demo.db 'SELECT * FROM v_operator_daily'"
	@echo "serve:   DIALER_DB=var/demo.db make run   (log in as admin)"

clean:
	rm -rf build var/run html/vendor

# The libFuzzer targets: make fuzz, make fuzz-smoke (part of make test).
include tests/fuzz/fuzz.mk

# --- make install -----------------------------------------------------
# The Debian layout: programs under $(PREFIX)/lib, dialerctl in sbin,
# pages, migrations and server configs under share, settings in
# $(SYSCONFDIR)/colddialer, the database and logs under $(LOCALSTATEDIR).
# DESTDIR stages the tree for a package; then nothing is chowned.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
WWW_USER ?= www-data
INSTALL ?= install
LIBDIR_APP = $(PREFIX)/lib/colddialer
SHARE_APP = $(PREFIX)/share/colddialer
DOC_APP = $(PREFIX)/share/doc/colddialer
ETC_APP = $(SYSCONFDIR)/colddialer
STATE_APP = $(LOCALSTATEDIR)/lib/colddialer
LOG_APP = $(LOCALSTATEDIR)/log/colddialer
# The web server's user owns what it writes, and reads the settings
# (which may hold secrets) through its group; only when installing for real.
OWNER = $(if $(DESTDIR),,$(if $(filter 0,$(shell id -u)),-o $(WWW_USER) -g $(WWW_USER)))
CONF_GROUP = $(if $(DESTDIR),,$(if $(filter 0,$(shell id -u)),-g $(WWW_USER)))
HTML_FILES = $(sort $(filter-out $(VENDOR),$(shell find html -type f)) $(VENDOR))
HTML_DIRS = $(sort $(patsubst %/,%,$(dir $(HTML_FILES))))
files_in = $(strip $(foreach f,$(HTML_FILES),$(if $(filter $(1)/,$(dir $(f))),$(f))))
SERVER_CONFS = $(strip apache.conf $(wildcard lighttpd.conf))
# The sample names the Debian paths; other prefixes get theirs.
CONF_PATHS = -e 's|/var/lib/colddialer|$(STATE_APP)|' -e 's|/var/log/colddialer|$(LOG_APP)|'

define newline


endef

.PHONY: install uninstall

install: $(CGI_BIN) $(CTL) vendor
	$(INSTALL) -d -m 0755 $(DESTDIR)$(LIBDIR_APP)/cgi-bin $(DESTDIR)$(PREFIX)/sbin \
	  $(addprefix $(DESTDIR)$(SHARE_APP)/,$(HTML_DIRS) sql) $(DESTDIR)$(DOC_APP) $(DESTDIR)$(ETC_APP)
	$(INSTALL) -m 0755 $(CGI_BIN) $(DESTDIR)$(LIBDIR_APP)/cgi-bin/
	$(INSTALL) -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/sbin/
	$(foreach d,$(HTML_DIRS),$(INSTALL) -m 0644 $(call files_in,$(d)) $(DESTDIR)$(SHARE_APP)/$(d)/$(newline))
	$(INSTALL) -m 0644 $(wildcard sql/*.sql) $(DESTDIR)$(SHARE_APP)/sql/
	$(INSTALL) -m 0644 $(SERVER_CONFS) $(DESTDIR)$(SHARE_APP)/
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOC_APP)/
	sed $(CONF_PATHS) etc/dialer.conf.sample > $(DESTDIR)$(ETC_APP)/dialer.conf.sample
	chmod 0644 $(DESTDIR)$(ETC_APP)/dialer.conf.sample
	test -e $(DESTDIR)$(ETC_APP)/dialer.conf || \
	  $(INSTALL) -m 0640 $(CONF_GROUP) $(DESTDIR)$(ETC_APP)/dialer.conf.sample $(DESTDIR)$(ETC_APP)/dialer.conf
	$(INSTALL) -d -m 0750 $(OWNER) $(DESTDIR)$(STATE_APP) $(DESTDIR)$(LOG_APP)

# Keeps what the admin and the app made: dialer.conf, the database, logs.
uninstall:
	rm -rf $(DESTDIR)$(LIBDIR_APP) $(DESTDIR)$(SHARE_APP) $(DESTDIR)$(DOC_APP)
	rm -f $(DESTDIR)$(PREFIX)/sbin/dialerctl $(DESTDIR)$(ETC_APP)/dialer.conf.sample
	@echo "kept: $(DESTDIR)$(ETC_APP)/dialer.conf, $(DESTDIR)$(STATE_APP), $(DESTDIR)$(LOG_APP)"
