package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	return New("demo", slog.New(slog.NewJSONHandler(&logs, nil))), &logs
}

func get(t *testing.T, h http.Handler, method, path string) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	var body map[string]string
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
		}
	}
	return rec.Code, body
}

func TestHealthz(t *testing.T) {
	s, _ := newTestServer(t)
	code, body := get(t, s.Handler(), http.MethodGet, "/healthz")
	if code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("GET /healthz = %d %v; want 200 ok", code, body)
	}
}

func TestReadyzFollowsReadiness(t *testing.T) {
	s, _ := newTestServer(t)
	if code, _ := get(t, s.Handler(), http.MethodGet, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("before SetReady(true): GET /readyz = %d; want 503", code)
	}
	s.SetReady(true)
	if code, body := get(t, s.Handler(), http.MethodGet, "/readyz"); code != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("after SetReady(true): GET /readyz = %d %v; want 200 ready", code, body)
	}
	s.SetReady(false)
	if code, _ := get(t, s.Handler(), http.MethodGet, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("after SetReady(false): GET /readyz = %d; want 503", code)
	}
}

func TestRootNamesTheService(t *testing.T) {
	s, _ := newTestServer(t)
	code, body := get(t, s.Handler(), http.MethodGet, "/")
	if code != http.StatusOK || body["service"] != "demo" {
		t.Fatalf("GET / = %d %v; want 200 with the service name", code, body)
	}
}

func TestUnknownRoutes(t *testing.T) {
	s, _ := newTestServer(t)
	if code, _ := get(t, s.Handler(), http.MethodGet, "/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope = %d; want 404", code)
	}
	if code, _ := get(t, s.Handler(), http.MethodPost, "/healthz"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d; want 405", code)
	}
}

func TestRequestsAreLoggedAsJSON(t *testing.T) {
	s, logs := newTestServer(t)
	get(t, s.Handler(), http.MethodGet, "/healthz")
	var entry map[string]any
	if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
		t.Fatalf("log line is not JSON: %v: %q", err, logs.String())
	}
	if entry["msg"] != "request" || entry["path"] != "/healthz" || entry["status"] != float64(http.StatusOK) {
		t.Fatalf("unexpected log entry: %v", entry)
	}
}

func TestRunShutsDownGracefully(t *testing.T) {
	s, _ := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln, 5*time.Second) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz on the running server: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz on the running server = %d; want 200", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v; want nil after a graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the context was cancelled")
	}
	if code, _ := get(t, s.Handler(), http.MethodGet, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: GET /readyz = %d; want 503", code)
	}
}
