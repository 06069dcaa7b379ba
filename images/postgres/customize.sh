#!/bin/sh
# mmdebstrap customize hook for the PostgreSQL image: initialise the cluster now, so a
# container is ready about a second after it starts instead of running initdb first.
# $1 is the root filesystem.
set -eu
root=$1
data=/var/lib/postgresql/data

# postgresql-common's postinst creates a "main" cluster with Debian's layout (config in
# /etc/postgresql); the image runs one plain cluster instead, so drop that one.
if [ -d "$root/etc/postgresql/15/main" ]; then
	chroot "$root" pg_dropcluster 15 main
fi

# trust everywhere: this is a throwaway test database on a private network, and the
# suite must connect without knowing a password.
chroot "$root" runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb \
	--pgdata="$data" --username=postgres --auth=trust \
	--encoding=UTF8 --locale=C.UTF-8 >/dev/null

cat >>"$root$data/postgresql.conf" <<'CONF'

# Added by images/postgres/customize.sh for the end-to-end suite.
listen_addresses = '*'
unix_socket_directories = '/var/run/postgresql'
# Durability buys nothing for data that lives as long as one test run, and costs time.
fsync = off
synchronous_commit = off
full_page_writes = off
# The JIT provider is removed below.
jit = off
# initdb probes shared memory in the build chroot, which lacks the /dev/shm Docker gives
# every container; posix is what the running container should use.
dynamic_shared_memory_type = posix
# Logs go to the container's stderr for the suite's log capture.
logging_collector = off
CONF

cat >>"$root$data/pg_hba.conf" <<'CONF'

# Any client on the test network, without a password (see above).
host all all 0.0.0.0/0 trust
host all all ::/0 trust
CONF

# The postmaster puts its socket and lock file here; on a real system tmpfiles.d makes it
# at boot, which never happens in a container. Spelled /run, not /var/run: that one is an
# absolute symlink, which outside the chroot would point at the build host's /run.
mkdir -p "$root/run/postgresql"
chroot "$root" chown postgres:postgres /run/postgresql
chmod 2775 "$root/run/postgresql"

# JIT compilation needs LLVM (130 MB with z3) and only pays off for long analytical
# queries, never for the suite's point lookups; perl only serves Debian's pg_ctlcluster
# wrappers, which the image bypasses by running postgres directly. Removing them with
# --force-depends leaves dpkg's dependency view broken, which is harmless in an image
# that never installs anything, and shrinks it by more than half.
chroot "$root" dpkg --purge --force-depends \
	libllvm14 libz3-4 perl libperl5.36 perl-modules-5.36 >/dev/null
rm -rf "$root"/usr/lib/postgresql/15/lib/bitcode "$root"/usr/lib/postgresql/15/lib/llvmjit*
