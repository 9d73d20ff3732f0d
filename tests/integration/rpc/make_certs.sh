#!/usr/bin/env bash
# make_certs.sh DIR: a throwaway CA, a server certificate for 127.0.0.1 /
# localhost, a client certificate signed by the CA, and a stranger client
# certificate signed by another CA. For the TLS tests only.
set -euo pipefail
d="$1"
mkdir -p "$d"
cd "$d"
ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
leaf() { # name ca ext
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
		-days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
ca ca
ca other-ca
leaf server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
leaf client ca "extendedKeyUsage=clientAuth"
leaf stranger other-ca "extendedKeyUsage=clientAuth"
# A service's one certificate when the suite runs with mutual TLS: it
# serves with it and presents it when it calls the others.
leaf peer ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
