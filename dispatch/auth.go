package dispatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// Token cache bounds: endpoints with OAuth2 kept at once (an arbitrary one
// is dropped beyond it, to be fetched again), and the most of a token
// endpoint's answer read.
const (
	maxCachedTokens = 10000
	maxTokenAnswer  = 64 << 10
	// tokenMargin is how long before its expiry a token is renewed, so a
	// request never leaves with one about to expire (at most a quarter of
	// a short token's life).
	tokenMargin = 30 * time.Second
)

// do sends req over the client of the job's egress settings, with its
// auth: Basic, or an OAuth2 bearer token. A 401 to a bearer token (revoked
// before its expiry) gets one fresh token and one retry.
func (d *Dispatcher) do(req *http.Request, job *hookd.Job, timeout time.Duration) (*http.Response, error) {
	client, err := d.clients.forEgress(job.Egress)
	if err != nil {
		return nil, err
	}
	a := job.Egress.Auth
	switch a.Type {
	case hookd.AuthBasic:
		req.SetBasicAuth(a.Username, a.Password)
		return client.Do(req)
	case hookd.AuthOAuth2:
	default:
		return client.Do(req)
	}
	fetch := func(ctx context.Context) (token, error) { return d.fetchToken(ctx, client, a) }
	tok, err := d.tokens.get(req.Context(), job.EndpointID, a, fetch)
	if err != nil {
		return nil, &tokenError{describe(err, timeout)}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.GetBody == nil {
		return resp, err
	}
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
	d.tokens.invalidate(job.EndpointID, tok)
	if tok, err = d.tokens.get(req.Context(), job.EndpointID, a, fetch); err != nil {
		return nil, &tokenError{"after a 401: " + describe(err, timeout)}
	}
	retry := req.Clone(req.Context())
	if retry.Body, err = req.GetBody(); err != nil {
		return nil, err
	}
	retry.Header.Set("Authorization", "Bearer "+tok)
	return client.Do(retry)
}

// tokenError is a failed token request, as the attempt log shows it.
type tokenError struct{ text string }

func (e *tokenError) Error() string { return "OAuth2 token request failed: " + e.text }

// token is an access token and when it stops being used (zero: until a
// receiver's 401).
type token struct {
	value string
	until time.Time
}

// tokens caches OAuth2 access tokens per endpoint for every worker of the
// process: the first to need one fetches it while the others wait for it
// (one fetch at a time per endpoint).
type tokens struct {
	now   func() time.Time
	mu    sync.Mutex
	slots map[string]*tokenSlot
}

type tokenSlot struct {
	lock   chan struct{} // held while reading, fetching or dropping the token
	config [sha256.Size]byte
	token  token
}

func newTokens() *tokens { return &tokens{now: time.Now, slots: map[string]*tokenSlot{}} }

// slot returns the endpoint's slot, emptied when its auth settings changed.
func (t *tokens) slot(endpointID string, a hookd.EndpointAuth) *tokenSlot {
	config, _ := json.Marshal(a)
	sum := sha256.Sum256(config)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.slots[endpointID]
	if s == nil || s.config != sum {
		if s == nil && len(t.slots) >= maxCachedTokens {
			for id := range t.slots {
				delete(t.slots, id)
				break
			}
		}
		s = &tokenSlot{lock: make(chan struct{}, 1), config: sum}
		t.slots[endpointID] = s
	}
	return s
}

// get returns the endpoint's cached token, or fetches one.
func (t *tokens) get(ctx context.Context, endpointID string, a hookd.EndpointAuth, fetch func(context.Context) (token, error)) (string, error) {
	s := t.slot(endpointID, a)
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()
	if s.token.value != "" && (s.token.until.IsZero() || t.now().Before(s.token.until)) {
		return s.token.value, nil
	}
	tok, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	s.token = tok
	return tok.value, nil
}

// invalidate drops the endpoint's token if it is still used, one a
// receiver refused; a newer one another worker fetched stays.
func (t *tokens) invalidate(endpointID, used string) {
	t.mu.Lock()
	s := t.slots[endpointID]
	t.mu.Unlock()
	if s == nil {
		return
	}
	s.lock <- struct{}{}
	if s.token.value == used {
		s.token = token{}
	}
	<-s.lock
}

// fetchToken asks the token endpoint for a token by the client credentials
// grant (RFC 6749 §4.4), the client authenticated by HTTP Basic (§2.3.1,
// the method every server must support), over the endpoint's own client:
// the same dialer rules, proxy and client certificate.
func (d *Dispatcher) fetchToken(ctx context.Context, client *http.Client, a hookd.EndpointAuth) (token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(a.Scopes) > 0 {
		form.Set("scope", strings.Join(a.Scopes, " "))
	}
	if a.Audience != "" {
		form.Set("audience", a.Audience)
	}
	for k, v := range a.Params {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return token{}, err
	}
	if req.URL.Scheme != "https" && !d.cfg.AllowPrivate {
		return token{}, errors.New("refused: the token URL must use https")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", d.userAgent)
	req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
	start := d.tokens.now()
	resp, err := client.Do(req)
	if err != nil {
		return token{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	if err != nil {
		return token{}, fmt.Errorf("reading the token endpoint's answer: %w", err)
	}
	var answer struct {
		AccessToken string      `json:"access_token"`
		TokenType   string      `json:"token_type"`
		ExpiresIn   json.Number `json:"expires_in"`
		Error       string      `json:"error"`
		Description string      `json:"error_description"`
	}
	parseErr := json.NewDecoder(bytes.NewReader(body)).Decode(&answer)
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("the token endpoint answered %d", resp.StatusCode)
		if parseErr == nil && answer.Error != "" {
			msg += ": " + strings.TrimSuffix(answer.Error+": "+answer.Description, ": ")
		}
		return token{}, errors.New(msg)
	}
	switch {
	case parseErr != nil:
		return token{}, fmt.Errorf("the token endpoint's answer is not JSON: %w", parseErr)
	case answer.AccessToken == "":
		return token{}, errors.New("the token endpoint's answer has no access_token")
	case answer.TokenType != "" && !strings.EqualFold(answer.TokenType, "bearer"):
		return token{}, fmt.Errorf("the token endpoint gave a %q token; only bearer tokens are supported", answer.TokenType)
	case strings.ContainsFunc(answer.AccessToken, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		return token{}, errors.New("the token endpoint's access_token is not printable ASCII")
	}
	tok := token{value: answer.AccessToken}
	if secs, err := answer.ExpiresIn.Float64(); err == nil && secs > 0 {
		life := time.Duration(secs * float64(time.Second))
		tok.until = start.Add(life - min(tokenMargin, life/4))
	}
	return tok, nil
}
