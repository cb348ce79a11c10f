#!/bin/sh
# Lab Asterisk start-up: installs the mounted asterisk-config/ as /etc/asterisk, writes the ARI
# user from the deployment's ARI_USERNAME / ARI_PASSWORD, applies LAB_EXTERNAL_ADDRESS for NAT,
# links the English sounds, then hands over to the image's own entrypoint (uid/gid handling)
# which execs Asterisk.
set -eu

src=/etc/asterisk-lab
dst=/etc/asterisk

if [ ! -f "$src/asterisk.conf" ]; then
  echo "lab-entrypoint: mount the project's asterisk-config/ at $src" >&2
  exit 1
fi

# Exactly our files: the image's sample configurations would otherwise be read by the core
# (cdr, features, manager...) next to ours.
find "$dst" -mindepth 1 -delete
cp "$src"/*.conf "$dst"/
/usr/local/bin/render-ari-users.sh "$dst/ari_users.conf"

if [ -n "${LAB_EXTERNAL_ADDRESS:-}" ]; then
  case $LAB_EXTERNAL_ADDRESS in
    *[!0-9A-Za-z.:-]*) echo "lab-entrypoint: LAB_EXTERNAL_ADDRESS must be an IP address or host name" >&2; exit 1 ;;
  esac
  local_net=${LAB_LOCAL_NET:-172.28.0.0/24}
  case $local_net in
    *[!0-9./]*) echo "lab-entrypoint: LAB_LOCAL_NET must be an IPv4 network such as 172.28.0.0/24" >&2; exit 1 ;;
  esac
  # "(+)" adds options to a section defined earlier in the file.
  for transport in transport-udp transport-tcp; do
    printf '\n[%s](+)\nexternal_media_address = %s\nexternal_signaling_address = %s\nlocal_net = %s\n' \
      "$transport" "$LAB_EXTERNAL_ADDRESS" "$LAB_EXTERNAL_ADDRESS" "$local_net"
  done >> "$dst/pjsip.conf"
fi

# Asterisk runs as the asterisk user (-U): it must read ari_users.conf (mode 0640).
chown -R asterisk:asterisk "$dst"

# The image ships no sounds; Debian's package installs them under /usr/share/asterisk.
sounds=/var/lib/asterisk/sounds
mkdir -p "$sounds"
[ -e "$sounds/en" ] || ln -s /usr/share/asterisk/sounds/en_US_f_Allison "$sounds/en"
# Music on hold: musiconhold.conf's `directory = moh` is <astdatadir>/moh (Debian's package
# installs the files under /usr/share/asterisk/moh; an empty moh folder of the image is replaced).
moh=/var/lib/asterisk/moh
if [ -z "$(ls -A "$moh" 2>/dev/null)" ]; then rm -rf "$moh"; ln -s /usr/share/asterisk/moh "$moh"; fi

exec /usr/local/bin/entrypoint.sh "$@"
