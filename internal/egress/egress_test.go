package egress_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"code.dny.dev/ssrf"

	"github.com/hookd/hookd/internal/egress"
)

func TestDialerPrivateTargetRule(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx := context.Background()
	if _, err := egress.New(false, nil).DialContext(ctx, "tcp", ln.Addr().String()); !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Fatalf("guarded dial to loopback: %v, want ErrProhibitedIP", err)
	}
	for name, d := range map[string]*egress.Dialer{
		"allow-listed host": egress.New(false, []string{"127.0.0.1"}),
		"allow private":     egress.New(true, nil),
	} {
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Close()
	}
}
