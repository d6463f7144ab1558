package dashboard

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngFile writes a small PNG and returns its path.
func pngFile(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadBrandRefusals(t *testing.T) {
	logo := pngFile(t)
	text := filepath.Join(t.TempDir(), "notes.txt")
	big := filepath.Join(t.TempDir(), "big.png")
	must(t, os.WriteFile(text, []byte("just words"), 0o600))
	must(t, os.WriteFile(big, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, maxBrandImage)...), 0o600))
	for _, c := range []struct {
		name                             string
		brand, url, file, favicon, color string
		want                             string
	}{
		{"url and file", "", "https://cdn.example.com/l.png", logo, "", "", "give one of them"},
		{"http logo", "", "http://cdn.example.com/l.png", "", "", "", "not an https URL"},
		{"missing file", "", "", filepath.Join(t.TempDir(), "none.png"), "", "", "--brand-logo-file"},
		{"not an image", "", "", text, "", "", "is not an image"},
		{"too large", "", "", "", big, "", "larger than 512 KiB"},
		{"named colour", "", "", "", "", "red", "is not a colour"},
		{"long name", strings.Repeat("n", 61), "", "", "", "", "at most 60"},
	} {
		if _, err := LoadBrand(c.brand, c.url, c.file, c.favicon, c.color); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func TestBrandColours(t *testing.T) {
	for color, text := range map[string]string{"#0b57d0": "#fff", "#FF0": "#000", "#7b1fa2": "#fff", "#f5f5f5": "#000"} {
		b, err := LoadBrand("Acme", "", "", "", color)
		must(t, err)
		if css := b.CSS(); !strings.Contains(css, "--accent-text: "+text) || !strings.HasPrefix(b.Color, "#") || len(b.Color) != 7 {
			t.Errorf("%s: %q (colour %q), want text %s", color, css, b.Color, text)
		}
	}
	var plain Brand
	if plain.Custom() || plain.DisplayName() != "hookd" || plain.StyleSrc() != "" || plain.LogoSrc() != "" {
		t.Errorf("the zero brand is not hookd's own: %+v", plain)
	}
	logo, err := LoadBrand("", "", pngFile(t), "", "")
	must(t, err)
	if logo.DisplayName() == "hookd" || logo.Favicon != logo.Logo || !strings.HasPrefix(logo.LogoSrc(), Prefix+"/brand/logo?v=") {
		t.Errorf("a logo alone: name %q, favicon %q, logo %q", logo.DisplayName(), logo.FaviconSrc(), logo.LogoSrc())
	}
}
