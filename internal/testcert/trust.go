package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"time"
)

// WriteRoots writes the CA's certificate to ca.pem in dir, for a process
// to trust through SSL_CERT_FILE, and returns the file's path.
func (ca *CA) WriteRoots(dir string) (string, error) {
	path := filepath.Join(dir, "ca.pem")
	return path, os.WriteFile(path, ca.PEM, 0o600)
}

// trustInProcess makes a CA this process trusts through SSL_CERT_FILE, as
// an operator trusts a private CA; it must run before any TLS handshake
// reads the system roots (they are read once). done removes the file.
func trustInProcess() (ca *CA, done func(), err error) {
	if ca, err = NewCA(); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "hookd-test-ca")
	if err != nil {
		return nil, nil, err
	}
	path, err := ca.WriteRoots(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	os.Setenv("SSL_CERT_FILE", path)
	return ca, func() { os.RemoveAll(dir) }, nil
}

// ServerTLS is a TLS server config presenting a certificate of the CA for
// cn and the IPs, valid for the next hour.
func (ca *CA) ServerTLS(cn string, ips ...string) (*tls.Config, error) {
	certPEM, keyPEM, err := ca.Issue(cn, time.Now().Add(time.Hour), x509.ExtKeyUsageServerAuth, ips...)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// Main runs a test binary's tests (m.Run) trusting a new CA in this
// process, which it stores in *ca first: TestMain's whole body is
// os.Exit(testcert.Main(m, &testCA)).
func Main(m interface{ Run() int }, ca **CA) int {
	trusted, done, err := trustInProcess()
	if err != nil {
		panic(err)
	}
	defer done()
	*ca = trusted
	return m.Run()
}
