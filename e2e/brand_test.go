package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDashboardBranded: a deployment's brand replaces hookd's everywhere a
// customer looks: title, header, logo, favicon, colour, and no "hookd" in
// the rendered pages of the portal.
func TestDashboardBranded(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(2, 2, color.RGBA{123, 31, 162, 255})
	var logo bytes.Buffer
	logoFile := filepath.Join(t.TempDir(), "acme.png")
	if err := png.Encode(&logo, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logoFile, logo.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	f := newFixture(t, config{extraArgs: []string{"--brand-name", "Acme Webhooks", "--brand-logo-file", logoFile, "--brand-color", "#7b1fa2",
		"--header-prefix", "X-Acme"}})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL, nil)
	b := newBrowser(t)

	b.open(f.portalLink(ten, "admin"))
	b.waitFor(`[data-endpoint]`, 5*time.Second)
	for _, page := range []string{"/dashboard/t/" + ten, "/dashboard/t/" + ten + "/endpoints/" + ep.ID, "/dashboard/t/" + ten + "/endpoints/" + ep.ID + "/edit"} {
		b.open(f.h.url + page)
		b.waitFor("main", 5*time.Second)
		var got struct {
			Title, HTML, Brand, Color, Favicon string
			LogoWidth                          int
		}
		b.await(`new Promise(ok => { const l = document.querySelector(".brand-logo");
			const done = () => ok({title: document.title, html: document.documentElement.outerHTML, brand: document.querySelector(".brand").textContent.trim(),
				color: getComputedStyle(document.documentElement).getPropertyValue("--accent").trim(), favicon: document.querySelector('link[rel="icon"]').href,
				logoWidth: l.naturalWidth});
			l.complete ? done() : l.addEventListener("load", done); })`, &got)
		if !strings.HasSuffix(got.Title, "· Acme Webhooks") || got.Brand != "Acme Webhooks" {
			t.Errorf("%s: title %q, header %q; want the brand", page, got.Title, got.Brand)
		}
		if i := strings.Index(strings.ToLower(got.HTML), "hookd"); i >= 0 {
			t.Errorf("%s: the rendered page says hookd: …%s…", page, got.HTML[max(0, i-80):min(len(got.HTML), i+40)])
		}
		if got.LogoWidth != 8 || !strings.Contains(got.Favicon, "/dashboard/brand/favicon?v=") {
			t.Errorf("%s: logo %d px wide, favicon %q; want the 8 px logo file as both", page, got.LogoWidth, got.Favicon)
		}
		if got.Color != "#7b1fa2" {
			t.Errorf("%s: accent colour %q, want the brand's #7b1fa2", page, got.Color)
		}
	}
}

// TestBrandRefused: bad branding options stop the start with the option's
// name, before the database is created.
func TestBrandRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--brand-color", "purple"},
		{"--brand-logo-url", "http://cdn.example.com/logo.png"},
		{"--brand-logo-file", "/nonexistent/logo.png"},
	} {
		db := filepath.Join(t.TempDir(), "hookd.db")
		cmd := exec.Command(hookdBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, args...)...)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), args[0]) {
			t.Errorf("%v: %v, %q; want a refusal naming %s", args, err, out, args[0])
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Errorf("%v: the refused start created the database (%v)", args, err)
		}
	}
}
