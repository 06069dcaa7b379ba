#!/bin/sh
# mmdebstrap customize hook shared by every Debian image: remove what a test container
# never reads, so the image stays small and loads quickly. $1 is the root filesystem.
set -eu
root=$1

# Package lists and the apt cache are removed by mmdebstrap's own cleanup; these are the
# leftovers it keeps: dpkg and debconf backups, install logs, and caches that are rebuilt
# on demand.
rm -f "$root"/var/lib/dpkg/*-old "$root"/var/cache/debconf/*-old
rm -rf "$root"/var/log/apt "$root"/var/log/*.log "$root"/var/cache/ldconfig/*
