// Package auth checks the access tokens the chat server issues to browsers. The claim
// types are exported so the end-to-end harness can mint tokens with the same shape.
package auth

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The chat server issues tokens for the web client only; anything else is refused.
const (
	Issuer   = "fechatter-server"
	Audience = "fechatter-web"
)

// User statuses the chat server writes into a token.
const (
	StatusActive    = "Active"
	StatusSuspended = "Suspended"
)

// User is the `user` claim. The stream belongs to ID.
type User struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"workspace_id"`
	Fullname    string    `json:"fullname"`
	Email       string    `json:"email"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// Claims is the payload of a Fechatter access token.
type Claims struct {
	jwt.RegisteredClaims
	User User `json:"user"`
}

// NewClaims returns claims the verifier accepts at issuedAt, valid for ttl.
func NewClaims(u User, issuedAt time.Time, ttl time.Duration) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   fmt.Sprint(u.ID),
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(issuedAt),
			ExpiresAt: jwt.NewNumericDate(issuedAt.Add(ttl)),
		},
		User: u,
	}
}

// ErrPublicKey says the configured key is not an Ed25519 public key in PKIX PEM.
var ErrPublicKey = errors.New("not an Ed25519 public key in PKIX PEM")

// ParsePublicKeyPEM reads the `auth.pk` value of notify.yml.
func ParsePublicKeyPEM(raw []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrPublicKey)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPublicKey, err)
	}
	pk, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: key is %T", ErrPublicKey, key)
	}
	return pk, nil
}

// Verify returns the claims of token when it is an EdDSA token signed by pk, issued by
// the chat server for the web client, not expired at now, and carrying a usable user.
func Verify(token string, pk ed25519.PublicKey, now time.Time) (Claims, error) {
	return verify(token, pk, now, true)
}

// VerifyIgnoringExpiry is Verify without the expiry check. It exists only for the
// expired-tokens-accepted fault switch; nothing else may call it.
func VerifyIgnoringExpiry(token string, pk ed25519.PublicKey, now time.Time) (Claims, error) {
	return verify(token, pk, now, false)
}

func verify(token string, pk ed25519.PublicKey, now time.Time, checkExp bool) (Claims, error) {
	if token == "" {
		return Claims{}, errors.New("no access token")
	}
	// Pinning the method list is what refuses `alg: none` and HS256 signed with the
	// public key as the HMAC secret; the key function never sees those tokens.
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if checkExp {
		opts = append(opts, jwt.WithExpirationRequired())
	} else {
		// Claims validation covers exp, iss and aud together, so skipping exp means
		// checking iss and aud by hand below.
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return pk, nil
	}, opts...)
	if err != nil {
		return Claims{}, err
	}
	if !checkExp {
		if c.Issuer != Issuer {
			return Claims{}, fmt.Errorf("issuer %q is not %q", c.Issuer, Issuer)
		}
		if !containsString(c.Audience, Audience) {
			return Claims{}, fmt.Errorf("audience %v lacks %q", c.Audience, Audience)
		}
	}
	if err := checkIdentity(c); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// checkIdentity refuses tokens the chat server would never issue, so a stream never
// belongs to user 0 or to a token without subject or issue time.
func checkIdentity(c Claims) error {
	switch {
	case c.Subject == "":
		return errors.New("token has no sub")
	case c.IssuedAt == nil:
		return errors.New("token has no iat")
	case c.User.ID <= 0:
		return fmt.Errorf("user.id %d is not a user", c.User.ID)
	case c.User.Status != StatusActive && c.User.Status != StatusSuspended:
		return fmt.Errorf("user.status %q is neither %s nor %s",
			c.User.Status, StatusActive, StatusSuspended)
	case c.User.CreatedAt.IsZero():
		return errors.New("user.created_at is missing")
	}
	return nil
}

func containsString(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}
