package main

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheckCmd asks a running hookd on this machine for /healthz: the
// container image's HEALTHCHECK, since its base image has no curl.
type healthcheckCmd struct {
	Addr    string        `default:":8080" env:"HOOKD_ADDR" help:"Address hookd serve or worker listens on; an empty or wildcard host is asked on 127.0.0.1."`
	Timeout time.Duration `default:"3s" help:"How long to wait for the answer."`
}

// Run exits 0 when /healthz answers 200, 1 otherwise, as HEALTHCHECK expects.
func (c *healthcheckCmd) Run() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("--addr %q must be host:port: %w", c.Addr, err)}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	client := &http.Client{Timeout: c.Timeout}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", url, resp.Status)
	}
	return nil
}
