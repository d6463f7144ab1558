package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Brand is how the deployment presents the dashboard to its customers: an
// operator that embeds the portal in its product shows its own name, logo,
// favicon and colour, and no "hookd" anywhere.
type Brand struct {
	Name    string // "" for hookd's own
	LogoURL string // an https image, or "" for Logo
	Logo    *asset // an image read at start and served by the dashboard
	Favicon *asset // default: the logo
	Color   string // accent colour as #rrggbb, or ""
}

// asset is an image embedded at start, served under its content hash.
type asset struct {
	body        []byte
	contentType string
	hash        string
}

// maxBrandImage bounds a logo or favicon file.
const maxBrandImage = 512 << 10

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// LoadBrand checks the branding options and reads their files. A logo is
// given by URL or by file, not both; a favicon file defaults to the logo.
func LoadBrand(name, logoURL, logoFile, faviconFile, color string) (Brand, error) {
	b := Brand{Name: strings.TrimSpace(name), LogoURL: logoURL}
	if len(b.Name) > 60 {
		return b, fmt.Errorf("--brand-name: at most 60 characters")
	}
	if logoURL != "" && logoFile != "" {
		return b, fmt.Errorf("--brand-logo-url and --brand-logo-file: give one of them")
	}
	if logoURL != "" {
		u, err := url.Parse(logoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return b, fmt.Errorf("--brand-logo-url: %q is not an https URL", logoURL)
		}
	}
	var err error
	if b.Logo, err = readImage("--brand-logo-file", logoFile); err != nil {
		return b, err
	}
	if b.Favicon, err = readImage("--brand-favicon-file", faviconFile); err != nil {
		return b, err
	}
	if b.Favicon == nil {
		b.Favicon = b.Logo
	}
	if color != "" {
		if !hexColor.MatchString(color) {
			return b, fmt.Errorf("--brand-color: %q is not a colour like #0b57d0", color)
		}
		if len(color) == 4 {
			color = "#" + strings.Repeat(color[1:2], 2) + strings.Repeat(color[2:3], 2) + strings.Repeat(color[3:4], 2)
		}
		b.Color = strings.ToLower(color)
	}
	return b, nil
}

func readImage(flag, path string) (*asset, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxBrandImage+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if len(body) > maxBrandImage {
		return nil, fmt.Errorf("%s: %s is larger than %d KiB", flag, path, maxBrandImage>>10)
	}
	ct := http.DetectContentType(body)
	if strings.HasSuffix(strings.ToLower(path), ".svg") && strings.Contains(string(body[:min(len(body), 1024)]), "<svg") {
		ct = "image/svg+xml"
	}
	if !strings.HasPrefix(ct, "image/") {
		return nil, fmt.Errorf("%s: %s is not an image (PNG, JPEG, GIF, WebP, ICO or SVG)", flag, path)
	}
	sum := sha256.Sum256(body)
	return &asset{body: body, contentType: ct, hash: hex.EncodeToString(sum[:6])}, nil
}

// Custom tells whether the deployment brands the dashboard.
func (b Brand) Custom() bool {
	return b.Name != "" || b.LogoURL != "" || b.Logo != nil || b.Color != ""
}

// DisplayName is what pages call the product.
func (b Brand) DisplayName() string {
	if b.Name != "" {
		return b.Name
	}
	if b.Custom() {
		return "Webhooks"
	}
	return "hookd"
}

// LogoSrc is the logo's address, "" without one.
func (b Brand) LogoSrc() string {
	if b.Logo != nil {
		return Prefix + "/brand/logo?v=" + b.Logo.hash
	}
	return b.LogoURL
}

// FaviconSrc is the favicon's address, "" for the browser's default.
func (b Brand) FaviconSrc() string {
	if b.Favicon != nil {
		return Prefix + "/brand/favicon?v=" + b.Favicon.hash
	}
	return b.LogoURL
}

// StyleSrc is the colour sheet's address, "" without a colour.
func (b Brand) StyleSrc() string {
	if b.Color == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(b.CSS()))
	return Prefix + "/brand/brand.css?v=" + hex.EncodeToString(sum[:6])
}

// CSS sets the accent colour, with text on it black or white, whichever
// contrasts more (WCAG relative luminance).
func (b Brand) CSS() string {
	if b.Color == "" {
		return ""
	}
	text := "#fff"
	if luminance(b.Color) > 0.179 {
		text = "#000"
	}
	return fmt.Sprintf(":root { --accent: %s; --focus: %s; --accent-text: %s; }\n", b.Color, b.Color, text)
}

func luminance(hex string) float64 {
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}

// imgSources is the CSP img-src list: the dashboard itself, and the logo's
// origin when it is a URL.
func (b Brand) imgSources() string {
	src := "'self' data:"
	if u, err := url.Parse(b.LogoURL); err == nil && b.LogoURL != "" {
		src += " " + u.Scheme + "://" + u.Host
	}
	return src
}

// serveBrand serves the embedded logo and favicon and the colour sheet.
// Their URLs carry a content hash, so they may be cached for long.
func (h *Handler) serveBrand(w http.ResponseWriter, r *http.Request) {
	var a *asset
	switch r.PathValue("file") {
	case "logo":
		a = h.cfg.Brand.Logo
	case "favicon":
		a = h.cfg.Brand.Favicon
	case "brand.css":
		a = &asset{body: []byte(h.cfg.Brand.CSS()), contentType: "text/css; charset=utf-8"}
	}
	if a == nil {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}
