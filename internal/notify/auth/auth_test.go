package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

type keys struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	pem  []byte
}

func newKeys(t *testing.T) keys {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return keys{pub: pub, priv: priv, pem: block}
}

func alice() User {
	return User{
		ID: 42, WorkspaceID: 7, Fullname: "Alice", Email: "alice@example.test",
		Status: StatusActive, CreatedAt: now.Add(-24 * time.Hour),
	}
}

func sign(t *testing.T, c jwt.Claims, key ed25519.PrivateKey) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAcceptsAChatServerToken(t *testing.T) {
	k := newKeys(t)
	pk, err := ParsePublicKeyPEM(k.pem)
	if err != nil {
		t.Fatalf("expected the PEM key to parse, got %v", err)
	}
	token := sign(t, NewClaims(alice(), now.Add(-time.Minute), time.Hour), k.priv)

	c, err := Verify(token, pk, now)
	if err != nil {
		t.Fatalf("expected the token to verify, got %v", err)
	}
	if c.User.ID != 42 || c.User.WorkspaceID != 7 || c.User.Email != "alice@example.test" {
		t.Errorf("expected alice's claims, got %+v", c.User)
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	good := NewClaims(alice(), now.Add(-time.Minute), time.Hour)
	// signed returns good, changed by edit, signed with the right key.
	signed := func(edit func(*Claims)) string {
		c := good
		edit(&c)
		return sign(t, c, k.priv)
	}
	hour := time.Hour

	hmacWithPublicKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, good).
		SignedString([]byte(k.pub))
	if err != nil {
		t.Fatal(err)
	}
	hmacWithPEM, err := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString(k.pem)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, good, k.priv)
	parts := strings.Split(valid, ".")

	tampered := strings.Split(signed(func(c *Claims) { c.User.ID = 1 }), ".")

	cases := map[string]string{
		"missing":   "",
		"malformed": "not.a.jwt",
		"garbage":   "abc",
		"expired": signed(func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))
		}),
		"no exp":           signed(func(c *Claims) { c.ExpiresAt = nil }),
		"wrong signature":  sign(t, good, other.priv),
		"tampered payload": parts[0] + "." + tampered[1] + "." + parts[2],
		"wrong audience": signed(func(c *Claims) {
			c.Audience = jwt.ClaimStrings{"fechatter-admin"}
		}),
		"no audience":      signed(func(c *Claims) { c.Audience = nil }),
		"wrong issuer":     signed(func(c *Claims) { c.Issuer = "someone-else" }),
		"alg none":         none,
		"HS256 public key": hmacWithPublicKey,
		"HS256 PEM":        hmacWithPEM,
		"issued in future": signed(func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(hour))
		}),
		"no iat":            signed(func(c *Claims) { c.IssuedAt = nil }),
		"no sub":            signed(func(c *Claims) { c.Subject = "" }),
		"no user":           sign(t, good.RegisteredClaims, k.priv),
		"unknown status":    signed(func(c *Claims) { c.User.Status = "Deleted" }),
		"user without time": signed(func(c *Claims) { c.User.CreatedAt = time.Time{} }),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			if c, err := Verify(token, k.pub, now); err == nil {
				t.Fatalf("expected the token to be refused, got claims %+v", c)
			}
		})
	}
}

func TestVerifyIgnoringExpiryStillChecksTheRest(t *testing.T) {
	k := newKeys(t)
	expired := NewClaims(alice(), now.Add(-2*time.Hour), time.Hour)
	if _, err := VerifyIgnoringExpiry(sign(t, expired, k.priv), k.pub, now); err != nil {
		t.Fatalf("expected an expired token to pass, got %v", err)
	}
	expired.Issuer = "someone-else"
	if _, err := VerifyIgnoringExpiry(sign(t, expired, k.priv), k.pub, now); err == nil {
		t.Fatal("expected a wrong issuer to be refused")
	}
	expired.Issuer = Issuer
	expired.Audience = jwt.ClaimStrings{"other"}
	if _, err := VerifyIgnoringExpiry(sign(t, expired, k.priv), k.pub, now); err == nil {
		t.Fatal("expected a wrong audience to be refused")
	}
}

func TestParsePublicKeyPEMRefusesOtherKeys(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty":    nil,
		"not pem":  []byte("hello"),
		"bad body": []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
	} {
		if _, err := ParsePublicKeyPEM(raw); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}
