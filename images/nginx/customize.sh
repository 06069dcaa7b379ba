#!/bin/sh
# mmdebstrap customize hook for the nginx image. $1 is the root filesystem.
set -eu
root=$1

# The configuration under test is mounted over /etc/nginx/nginx.conf. Debian's stock one
# stays for a container started without it; pointing its log files at the container's
# output makes even that case show up in `docker logs`.
ln -sf /dev/stdout "$root/var/log/nginx/access.log"
ln -sf /dev/stderr "$root/var/log/nginx/error.log"

# The default site would listen on port 80 beside the proxy's own ports.
rm -f "$root/etc/nginx/sites-enabled/default"
