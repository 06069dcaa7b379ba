package token

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func verify(t *testing.T, s *Signer, tok string) error {
	t.Helper()
	block, _ := pem.Decode(s.PublicPEM())
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub.(ed25519.PublicKey), nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience), jwt.WithExpirationRequired())
	return err
}

func TestMintedTokenVerifies(t *testing.T) {
	s, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, s, s.Mint(NewUser(7, 1))); err != nil {
		t.Fatalf("expected a valid token, got %v", err)
	}
}

func TestRefusedTokensFailVerification(t *testing.T) {
	s, _ := NewSigner()
	for _, r := range s.RefusedFor(NewUser(7, 1)) {
		if err := verify(t, s, r.Token); err == nil {
			t.Errorf("%s: expected verification to fail, it passed", r.Name)
		}
	}
}

func TestSignerSurvivesPEMRoundTrip(t *testing.T) {
	s, _ := NewSigner()
	back, err := SignerFromPEM(s.PrivatePEM())
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, s, back.Mint(NewUser(3, 1))); err != nil {
		t.Fatalf("expected the restored signer's token to verify, got %v", err)
	}
}
