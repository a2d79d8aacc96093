package workspace

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
)

// Google's hashFunction values.
const (
	hashSHA1  = "SHA-1"
	hashMD5   = "MD5"
	hashCrypt = "crypt"
)

// cryptRe matches the crypt(3) variants Google takes: MD5 ($1$), SHA-256
// ($5$), SHA-512 ($6$) and traditional DES.
var cryptRe = regexp.MustCompile(`^(\$[156]\$(rounds=[0-9]+\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]+|[./0-9A-Za-z]{13})$`)

// password is what a new user is created with.
type password struct {
	value, hashFunction string
	// change is set for a random password: nobody knows it, so the user
	// sets one at first sign-in (or an admin resets it).
	change bool
	// note says why a source hash could not be used; "" when there was
	// none or it was used.
	note string
}

// passwordFor turns an LDAP userPassword value into Google's password
// fields: {CRYPT} ($1$, $5$, $6$, DES) as crypt, {SHA} as hex SHA-1, {MD5}
// as hex MD5. Anything else, a salted {SSHA} included, which Google cannot
// verify, gets a random password and a note; it is never an error.
func passwordFor(hash string) password {
	if hash == "" {
		return randomPassword("")
	}
	scheme, rest, ok := strings.Cut(strings.TrimPrefix(hash, "{"), "}")
	if !ok || !strings.HasPrefix(hash, "{") {
		return randomPassword("the source password is not in a {SCHEME} form Google can take")
	}
	switch strings.ToUpper(scheme) {
	case "CRYPT":
		if cryptRe.MatchString(rest) {
			return password{value: rest, hashFunction: hashCrypt}
		}
		return randomPassword("the source {CRYPT} hash is not a variant Google takes ($1$, $5$, $6$ or DES)")
	case "SHA":
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil && len(b) == 20 {
			return password{value: hex.EncodeToString(b), hashFunction: hashSHA1}
		}
		return randomPassword("the source {SHA} hash is not 20 bytes of base64")
	case "MD5":
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil && len(b) == 16 {
			return password{value: hex.EncodeToString(b), hashFunction: hashMD5}
		}
		return randomPassword("the source {MD5} hash is not 16 bytes of base64")
	}
	return randomPassword("Google cannot take a {" + scheme + "} hash (salted hashes cannot be sent)")
}

func randomPassword(note string) password {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return password{value: base64.RawURLEncoding.EncodeToString(b), change: true, note: note}
}
