// Package server is the demo HTTP service: its routes, its health checks, its
// request logs and its lifecycle (serve until the context ends, then shut down gracefully).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Server holds the routes and the readiness state of the service.
type Server struct {
	name   string
	logger *slog.Logger
	mux    *http.ServeMux
	ready  atomic.Bool
}

// New returns a server that is not ready yet; Run marks it ready once it listens.
func New(name string, logger *slog.Logger) *Server {
	s := &Server{name: name, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /{$}", s.root)
	return s
}

// SetReady changes what /readyz answers.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Handler returns the routes wrapped in request logging.
func (s *Server) Handler() http.Handler { return s.logRequests(s.mux) }

// Run serves on ln until ctx ends, then stops accepting requests, reports not ready and waits
// up to shutdownTimeout for the requests in flight to finish.
func (s *Server) Run(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelError),
	}
	s.SetReady(true)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		s.SetReady(false)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	s.SetReady(false)
	s.logger.Info("shutting down", "timeout", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.logger.Info("stopped")
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"service": s.name})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// logRequests logs one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
		)
	})
}
