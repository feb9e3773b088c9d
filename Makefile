# xlcfi: one non-recursive GNU Makefile. See README.md.
#
#   make            build the library, the commands and the test programs
#   make check      install missing packages, build, run all tests on a throwaway database
#   make demo       install missing packages, build, bring up the private database
#   make install    PREFIX=/usr/local DESTDIR=
#
# DEVELOPER=1 turns warnings into errors; SANITIZE=address,undefined builds with sanitizers.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
AR         ?= ar
CFLAGS     ?= -O2 -g
PKG_CONFIG ?= pkg-config

PKGS      := libpq jansson libcurl xlsxwriter openblas zlib
TEST_PKGS := cmocka
# The test tools include a fake payment gateway, an HTTP server.
TOOL_PKGS := libmicrohttpd

# libcsv has no pkg-config file: -lcsv is added by hand.
# Recursive (=) so that a sub-make started after install-deps sees the new packages.
PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)
TOOL_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TOOL_PKGS) 2>/dev/null)
TOOL_LIBS   = $(shell $(PKG_CONFIG) --libs $(TOOL_PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	    -Wvla -Wwrite-strings -fno-common
XL_CFLAGS := -std=c17 -pthread -D_GNU_SOURCE -DXLCFI_VERSION='"$(VERSION)"' -Ilib $(WARNINGS) -MMD -MP
ifeq ($(filter -O0,$(CFLAGS)),)
XL_CFLAGS += -D_FORTIFY_SOURCE=2
endif
ifeq ($(DEVELOPER),1)
XL_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
XL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
XL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Rebuild everything when the flags change (a SANITIZE build after a plain one).
BUILD_FLAGS := $(CC) $(XL_CFLAGS) $(CFLAGS) $(XL_LDFLAGS) $(LDFLAGS)
ifneq ($(file <.build-flags),$(BUILD_FLAGS))
$(file >.build-flags,$(BUILD_FLAGS))
endif

ALL_CFLAGS  = $(XL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(XL_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(filter-out lib/xl_sql_gen.c,$(wildcard lib/xl_*.c)) lib/xl_sql_gen.c
LIB_OBJS := $(LIB_SRCS:.c=.o)
LIB      := lib/libxlcfi.a
HEADERS  := $(wildcard lib/xl_*.h)
SQL      := $(sort $(wildcard lib/sql/[0-9][0-9][0-9]_*.sql))

CMDS      := $(patsubst %.c,%,$(wildcard cmd/xlcfi*.c))
TOOLS     := $(patsubst %.c,%,$(wildcard tests/tools/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_xl_*.c)
UNITS     := $(UNIT_SRCS:.c=)
MANS      := $(wildcard man/*.1 man/*.7)

OBJS := $(LIB_OBJS) $(CMDS:=.o) $(TOOLS:=.o) $(UNITS:=.o)
DEPS := $(OBJS:.o=.d)

.PHONY: all check unit cli check-headers lint-man install clean demo bench deps
.DELETE_ON_ERROR:

all: $(LIB) $(CMDS) $(TOOLS) $(UNITS)

lib/xl_sql_gen.c: $(SQL) scripts/embed-sql.sh
	scripts/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(LIB): $(LIB_OBJS)
	$(RM) $@
	$(AR) rcs $@ $^

$(OBJS): .build-flags

%.o: %.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/%.o: tests/unit/%.c
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

tests/tools/%.o: tests/tools/%.c
	$(CC) $(ALL_CFLAGS) $(TOOL_CFLAGS) -c -o $@ $<

$(CMDS): %: %.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

$(TOOLS): %: %.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(TOOL_LIBS) -lm

$(UNITS): %: %.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lm

deps:
	@scripts/install-deps.sh

# The one test command. Each step is a sub-make so that flags from pkg-config
# are read after install-deps has run.
check:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-headers
	@scripts/with-test-db.sh tests/run.sh all

unit: all
	@scripts/with-test-db.sh tests/run.sh unit

cli: all
	@scripts/with-test-db.sh tests/run.sh cli

check-headers:
	@for h in $(HEADERS); do \
		echo "#include \"$$(basename $$h)\"" | \
		$(CC) $(ALL_CFLAGS) -x c -fsyntax-only -MF /dev/null - || exit 1; \
	done; echo "check-headers: $(words $(HEADERS)) headers compile alone"

lint-man:
	mandoc -Tlint -Wwarning $(MANS)

demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: all
	scripts/bench-jsonl.sh

install: $(CMDS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(CMDS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7/

clean:
	$(RM) $(OBJS) $(DEPS) $(LIB) $(CMDS) $(TOOLS) $(UNITS) lib/xl_sql_gen.c lib/xl_sql_gen.c.tmp .build-flags

-include $(DEPS)
