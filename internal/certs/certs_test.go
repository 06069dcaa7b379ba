package certs

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientTrustsServerSignedByRunCA(t *testing.T) {
	b, err := New([]string{"localhost", "nginx"}, []net.IP{net.ParseIP("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(b.ServerCert, b.ServerKey)
	if err != nil {
		t.Fatalf("server key pair: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()

	cfg, err := ClientConfig(b.CACert)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("expected the run CA to be trusted, got %v", err)
	}
	resp.Body.Close()

	other, _ := New([]string{"localhost"}, nil)
	cfg, _ = ClientConfig(other.CACert)
	c = &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	if _, err := c.Get(srv.URL); err == nil {
		t.Fatal("expected a certificate from another CA to be refused")
	}
}
