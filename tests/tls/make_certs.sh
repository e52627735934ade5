#!/bin/sh
# tests/tls/make_certs.sh DIR: the certificates of the TLS tests, made with the openssl command
# at test time (nothing secret is committed). In DIR:
#   ca.pem ca.key          the test CA
#   good.pem               SAN DNS:sip.test (the name the tests ask for), signed by the CA
#   wrongsan.pem           SAN DNS:other.test
#   wildcard.pem           SAN DNS:*.test (RFC 5922 7.2: must not match sip.test)
#   cnonly.pem             no SAN, CN=sip.test (RFC 5922 7.1 step 2: accepted)
#   expired.pem            SAN DNS:sip.test, valid until 2001
#   selfsigned.pem         SAN DNS:sip.test, signed by its own key
#   urisan.pem             SAN URI:sip:sip.test only (RFC 5922 7.1: accepted)
#   urisanuser.pem         SAN URI:sip:alice@sip.test only (a user, not a domain: refused)
#   ipsan.pem              SAN IP:127.0.0.1
#   client.pem             a client certificate from the CA
#   other.key / mismatch   a key that matches none of the above
# Every leaf shares leaf.key, except selfsigned (self.key) and client (client.key).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
o() { openssl "$@" >/dev/null 2>&1; }
o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=sipspec test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out leaf.key
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other.key
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out client.key
leaf() { # name subject san-or-empty [extra x509 args]
  name=$1 subj=$2 san=$3
  shift 3
  key=leaf.key
  [ "$name" = client ] && key=client.key
  o req -new -key $key -subj "$subj" -out "$name.csr"
  if [ -n "$san" ]; then printf 'subjectAltName=%s\n' "$san" > "$name.ext"; else : > "$name.ext"; fi
  o x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -extfile "$name.ext" "$@"
}
leaf good "/CN=good" "DNS:sip.test" -days 30
leaf wrongsan "/CN=sip.test" "DNS:other.test" -days 30
leaf wildcard "/CN=wild" "DNS:*.test" -days 30
leaf cnonly "/CN=sip.test" "" -days 30
leaf urisan "/CN=urisan" "URI:sip:sip.test" -days 30
leaf urisanuser "/CN=sip.test" "URI:sip:alice@sip.test" -days 30
leaf ipsan "/CN=ipsan" "IP:127.0.0.1" -days 30
leaf client "/CN=client.test" "DNS:client.test" -days 30
# expired: valid from 2000 to 2001 (x509 -not_before/-not_after are OpenSSL 3.4; use ca -startdate)
cat > ca.cnf <<CNF
[ca]
default_ca=t
[t]
database=index.txt
new_certs_dir=.
serial=serial
default_md=sha256
policy=p
copy_extensions=copy
[p]
commonName=supplied
CNF
: > index.txt
echo 1000 > serial
printf 'subjectAltName=DNS:sip.test\n' > expired.ext
o req -new -key leaf.key -subj "/CN=expired" -out expired.csr
o ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem -extfile expired.ext \
  -startdate 20000101000000Z -enddate 20010101000000Z -notext
o req -x509 -new -key leaf.key -subj "/CN=self" -out selfsigned.pem -days 30 -addext "subjectAltName=DNS:sip.test"
for f in ca good wrongsan wildcard cnonly expired selfsigned urisan urisanuser ipsan client; do
  [ -s "$f.pem" ] || { echo "make_certs: $f.pem was not made" >&2; exit 1; }
done
