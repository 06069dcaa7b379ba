#!/bin/sh
# Build a Debian bookworm root filesystem tarball for one image recipe.
#
#   build.sh <recipe-dir> <output.tar>
#
# <recipe-dir>/packages lists the packages to install (one per line, # comments).
# <recipe-dir>/customize.sh, when present, runs as an mmdebstrap customize hook with
# the root filesystem as $1; strip.sh runs after it for every image.
#
# internal/images hashes this file and the recipe directory into the image tag, so any
# change here rebuilds the images and an unchanged recipe builds nothing.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 <recipe-dir> <output.tar>" >&2
	exit 2
fi
recipe=$(cd "$1" && pwd)
out=$2
here=$(cd "$(dirname "$0")" && pwd)

# The host's apt sources use deb.debian.org; E2E_DEBIAN_MIRROR lets a machine behind an
# apt cache point elsewhere without changing the recipe (and so the tag).
mirror=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$recipe/packages" | tr -s ' \n' ',,')
packages=${packages%,}
if [ -z "$packages" ]; then
	echo "$recipe/packages lists no package" >&2
	exit 2
fi

set --
if [ -f "$recipe/customize.sh" ]; then
	set -- "$@" --customize-hook="sh '$recipe/customize.sh' \"\$1\""
fi
set -- "$@" --customize-hook="sh '$here/strip.sh' \"\$1\""

# essential instead of apt or minbase: the images never install anything at run time, so
# apt, its keyring and gpgv would be dead weight (mmdebstrap drives apt from outside the
# chroot). Recommends stay out for the same reason. The merged-usr hook lays out /usr
# itself; without it apt satisfies bookworm's usrmerge dependency with the usrmerge
# package, which drags in 45 MB of perl. The path excludes keep documentation from ever
# being unpacked, which is cheaper than deleting it afterwards; copyright files stay
# because the licences ask for them. /run is kept because the postgres image prepares its
# socket directory there; mmdebstrap would otherwise empty it.
exec mmdebstrap \
	--variant=essential \
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
	--include="$packages" \
	--aptopt='APT::Install-Recommends "false"' \
	--skip=cleanup/run \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/lintian/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	"$@" \
	bookworm "$out" "$mirror"
