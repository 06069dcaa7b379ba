// Package token mints the access tokens the suite's clients present, as the
// chat server would: EdDSA, issuer fechatter-server, audience fechatter-web.
// It also mints the refused kinds, so auth specs can prove each is refused.
package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	Issuer   = "fechatter-server"
	Audience = "fechatter-web"
	lifetime = time.Hour
)

// User is the user object carried in the token.
type User struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"workspace_id"`
	Fullname    string `json:"fullname"`
	Email       string `json:"email"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
}

// NewUser fills the user object the way the chat server does.
func NewUser(id, workspace int64) User {
	return User{
		ID:          id,
		WorkspaceID: workspace,
		Fullname:    fmt.Sprintf("User %d", id),
		Email:       fmt.Sprintf("user%d@example.test", id),
		Status:      "Active",
		CreatedAt:   "2026-01-01T00:00:00Z",
	}
}

type claims struct {
	jwt.RegisteredClaims
	User User `json:"user"`
}

// Signer signs tokens with the run's private key.
type Signer struct {
	key ed25519.PrivateKey
}

// NewSigner generates the run's key pair; no key is ever committed.
func NewSigner() (*Signer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Signer{key: key}, nil
}

// SignerFromPEM restores a signer handed over from another process.
func SignerFromPEM(b []byte) (*Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM block in the signing key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key is %T, want Ed25519", k)
	}
	return &Signer{key: key}, nil
}

// PrivatePEM is the private key in PKCS#8 PEM, for handing to other processes.
func (s *Signer) PrivatePEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		panic(err) // an Ed25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicPEM is what notify-server's auth.pk holds.
func (s *Signer) PublicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Mint returns a valid token for u.
func (s *Signer) Mint(u User) string {
	return s.sign(jwt.SigningMethodEdDSA, s.key, s.claims(u, time.Now()))
}

func (s *Signer) claims(u User, now time.Time) claims {
	return claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			Subject:   strconv.FormatInt(u.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)),
		},
		User: u,
	}
}

func (s *Signer) sign(m jwt.SigningMethod, key any, c claims) string {
	t, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		panic(fmt.Sprintf("mint %s token: %v", m.Alg(), err))
	}
	return t
}

// Refused is a token that notify-server must answer with 401.
type Refused struct {
	Name  string
	Token string
}

// RefusedFor returns one token of every kind contract.md says is refused.
func (s *Signer) RefusedFor(u User) []Refused {
	now := time.Now()
	expired := s.claims(u, now.Add(-2*lifetime))
	wrongAud := s.claims(u, now)
	wrongAud.Audience = jwt.ClaimStrings{"fechatter-admin"}
	wrongIss := s.claims(u, now)
	wrongIss.Issuer = "someone-else"

	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	none := s.sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, s.claims(u, now))
	// The classic key-confusion attack: HMAC keyed with the public key PEM.
	hs := s.sign(jwt.SigningMethodHS256, s.PublicPEM(), s.claims(u, now))

	return []Refused{
		{"missing", ""},
		{"malformed", "not.a.jwt"},
		{"expired", s.sign(jwt.SigningMethodEdDSA, s.key, expired)},
		{"wrongly signed", s.sign(jwt.SigningMethodEdDSA, otherKey, s.claims(u, now))},
		{"wrong audience", s.sign(jwt.SigningMethodEdDSA, s.key, wrongAud)},
		{"wrong issuer", s.sign(jwt.SigningMethodEdDSA, s.key, wrongIss)},
		{"alg none", none},
		{"HS256 keyed with the public key", hs},
	}
}
