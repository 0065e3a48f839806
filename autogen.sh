#!/bin/sh
# autogen.sh: generate configure and Makefile.in from a git checkout.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
# automake ships the TAP driver but does not install it by itself.
am=$(automake --print-libdir)
cp -f "$am/tap-driver.sh" build-aux/tap-driver.sh
autoreconf --install --force
